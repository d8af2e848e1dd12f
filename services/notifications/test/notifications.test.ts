import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startNotifications, userRegisteredEvent, type Notifications } from './helpers.ts';

describeOnDatabases('notifications', (kind) => {
  let n: Notifications;
  beforeAll(async () => {
    n = await startNotifications(kind);
  });
  afterAll(() => n.close());

  const registered = (name = 'Ada Lovelace', userId = randomUUID()) => userRegisteredEvent({ userId, email: `${userId}@example.com`, name });

  it('stores a welcome email on user.registered and lists it for that user', async () => {
    const event = registered('Ada Lovelace');
    const { userId, email } = event.data as { userId: string; email: string };
    await n.deliver(event);

    const page = await n.list(userId);
    expect(page.pagination).toEqual({ page: 1, limit: 20, total: 1, pages: 1 });
    const [message] = page.data;
    expect(message).toEqual({
      id: expect.any(String),
      channel: 'email',
      template: 'welcome',
      subject: 'Welcome to Emporium',
      body: expect.stringContaining('Hello Ada Lovelace,'),
      createdAt: expect.any(String),
      sentAt: expect.any(String),
    });
    expect(Date.parse(message!.sentAt!)).toBeGreaterThanOrEqual(Date.parse(message!.createdAt));
    expect(await n.rows(userId)).toEqual([{ recipient: email, template: 'welcome', order_id: null, sent_at: expect.anything() }]);
  });

  it('keeps the name exactly as registered, with nothing escaped', async () => {
    const event = registered('<Zoë & "Ed">');
    await n.deliver(event);
    const [message] = (await n.list(event.subject)).data;
    expect(message!.body).toContain('Hello <Zoë & "Ed">,');
  });

  it('stores one message when the same event is delivered twice, one after the other or at once', async () => {
    const event = registered();
    // 1. A redelivery after the first has committed finds the event in the inbox.
    await n.deliver(event);
    await n.deliver(event);
    expect((await n.list(event.subject)).data).toHaveLength(1);

    // 2. Two deliveries racing each other: the inbox's primary key lets only one through.
    const racing = registered();
    await Promise.all([n.deliver(racing), n.deliver(racing)]);
    expect((await n.list(racing.subject)).data).toHaveLength(1);
    expect(await n.built.ctx.messaging.deadLetters()).toEqual([]);
  });

  it('shows each user only their own messages, admins included', async () => {
    const a = registered('Alice');
    const b = registered('Bob');
    await n.deliver(a);
    await n.deliver(b);

    const seenByA = (await n.list(a.subject)).data;
    const seenByB = (await n.list(b.subject)).data;
    expect(seenByA.map((m) => m.body)).toEqual([expect.stringContaining('Hello Alice,')]);
    expect(seenByB.map((m) => m.body)).toEqual([expect.stringContaining('Hello Bob,')]);
    expect(seenByA.map((m) => m.id)).not.toContain(seenByB[0]!.id);

    // An admin is a user like any other here: their own messages, and no one else's.
    const admin = await n.app.inject({ method: 'GET', url: '/notifications', headers: await n.auth(randomUUID(), ['customer', 'admin']) });
    expect(admin.statusCode).toBe(200);
    expect(admin.json().data).toEqual([]);
  });

  it('answers 401 problem+json to an anonymous caller and to a bad token', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      const res = await n.app.inject({ method: 'GET', url: '/notifications', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('dead-letters an invalid event and stores no message for it', async () => {
    const userId = randomUUID();
    const invalid = userRegisteredEvent({ userId, name: 'No Email' });
    await n.deliver(invalid);

    expect(await n.rows(userId)).toEqual([]);
    const letters = await n.built.ctx.messaging.deadLetters();
    expect(letters).toEqual([expect.objectContaining({ eventId: invalid.id, purpose: 'send-welcome', type: 'user.registered', subject: userId, reason: 'invalid', attempts: 1 })]);
    expect(letters[0]!.error).toContain('email');
  });

  it('pages through a user\'s messages, newest first', async () => {
    const userId = randomUUID();
    for (const name of ['First', 'Second', 'Third']) await n.deliver(registered(name, userId));

    const first = await n.list(userId, { limit: 2 });
    expect(first.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(first.data.map((m) => m.body.split('\n')[0])).toEqual(['Hello Third,', 'Hello Second,']);
    const second = await n.list(userId, { limit: 2, page: 2 });
    expect(second.pagination).toEqual({ page: 2, limit: 2, total: 3, pages: 2 });
    expect(second.data.map((m) => m.body.split('\n')[0])).toEqual(['Hello First,']);
    const past = await n.list(userId, { limit: 2, page: 5 });
    expect(past).toEqual({ data: [], pagination: { page: 5, limit: 2, total: 3, pages: 2 } });

    const headers = await n.auth(userId);
    for (const query of ['limit=0', 'limit=101', 'page=0', 'page=x']) {
      const res = await n.app.inject({ method: 'GET', url: `/notifications?${query}`, headers });
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('gives a user with no messages an empty page', async () => {
    expect(await n.list(randomUUID())).toEqual({ data: [], pagination: { page: 1, limit: 20, total: 0, pages: 0 } });
  });
});
