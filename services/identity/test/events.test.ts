import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases, type TestDatabase } from '@emporium/testing';
import { register, startIdentity, uniqueEmail, type Identity } from './helpers.ts';

describeOnDatabases('identity events', (kind) => {
  let t: TestDatabase;
  let identity: Identity;
  beforeAll(async () => {
    t = await kind.open('identity');
    identity = await startIdentity(t.db);
  });
  afterAll(async () => {
    await identity.close();
    await t.close();
  });

  const registered = async () =>
    (await identity.ctx.db.query<{ subject: string; data: Record<string, unknown> }>("SELECT subject, envelope->'data' AS data FROM outbox WHERE type = 'user.registered' ORDER BY seq")).rows;

  it('writes user.registered with the new account, and none for a taken email', async () => {
    const email = uniqueEmail('events');
    const res = await register(identity, { email, name: 'Grace Hopper' });
    expect(res.statusCode).toBe(201);
    const { user } = res.json();
    expect((await registered()).filter((e) => e.subject === user.id)).toEqual([{ subject: user.id, data: { userId: user.id, email, name: 'Grace Hopper' } }]);

    const before = (await registered()).length;
    expect((await register(identity, { email: email.toUpperCase() })).statusCode).toBe(409);
    expect(await registered()).toHaveLength(before);
  });
});
