import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { defineEvent } from '@emporium/contracts/events';
import { buildService, createLogger, InProcessTransport, type BuiltService, type DeadLetter, type ServiceDefinition } from '@emporium/kit';
import { cloudEvent, deliver, describeOnDatabases, testTokens, type TestDatabase, type TestTokens } from '@emporium/testing';

/** A test event, published by a producer that does not exist here: the test hands it to the transport. */
const rang = defineEvent({
  type: 'bell.rang',
  version: 1,
  producer: 'belfry',
  subject: 'the bell id',
  description: 'A bell rang once.',
  delivery: 'at least once',
  schema: Type.Object({ bellId: Type.String() }, { additionalProperties: false }),
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emporium-ops-'));
  await mkdir(join(root, 'migrations'));
  await writeFile(join(root, 'migrations', '001_init.sql'), 'CREATE TABLE rings (event_id uuid PRIMARY KEY, bell_id text NOT NULL);');
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A service that records rings; its handler throws while `state.broken` is set. */
function ringer(state: { broken: boolean }): ServiceDefinition {
  return {
    name: 'ringer',
    description: 'records rings',
    defaultPort: 0,
    migrations: join(root, 'migrations'),
    setup(_app, ctx) {
      ctx.messaging.subscribe(
        rang,
        'record-rings',
        async (event, tx) => {
          if (state.broken) throw new Error('the bell rope snapped');
          await tx.query('INSERT INTO rings (event_id, bell_id) VALUES ($1, $2)', [event.id, event.data.bellId]);
        },
        { maxDeliveries: 1 },
      );
    },
  };
}

describeOnDatabases('ops routes: dead letters', (kind) => {
  let db: TestDatabase;
  let tokens: TestTokens;
  let service: BuiltService;
  let transport: InProcessTransport;
  const state = { broken: true };
  let admin: { authorization: string };
  let letterId: string;

  beforeAll(async () => {
    db = await kind.open('ringer');
    tokens = await testTokens();
    transport = new InProcessTransport();
    service = await buildService(ringer(state), { source: {}, db: db.db, log: createLogger('test', 'silent'), verifier: tokens.verifier, transport });
    await service.start();
    admin = await tokens.auth({ roles: ['admin'] });
    // With one delivery allowed, the first failure dead-letters the message before publish resolves.
    await deliver(transport, cloudEvent(rang, { bellId: 'bell-1' }, 'bell-1'));
  });
  afterAll(async () => {
    await service.close();
    await db.close();
  });

  const list = (query = '', headers: Record<string, string> = admin) => service.app.inject({ method: 'GET', url: `/ops/dead-letters${query}`, headers });
  const replay = (id: string, headers: Record<string, string> = admin) => service.app.inject({ method: 'POST', url: `/ops/dead-letters/${id}/replay`, headers });

  it('refuses anonymous callers with 401 and customers with 403', async () => {
    expect((await list('', {})).statusCode).toBe(401);
    const customer = await list('', await tokens.auth({ roles: ['customer'] }));
    expect(customer.statusCode).toBe(403);
    expect(customer.json().code).toBe('FORBIDDEN');
    expect((await replay(randomUUID(), {})).statusCode).toBe(401);
    expect((await replay(randomUUID(), await tokens.auth())).statusCode).toBe(403);
  });

  it('lists the dead letter to an admin', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    const { data } = res.json<{ data: DeadLetter[] }>();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ purpose: 'record-rings', type: 'bell.rang', subject: 'bell-1', reason: 'failed', attempts: 1, replayedAt: null });
    expect(data[0]!.error).toContain('rope snapped');
    letterId = data[0]!.id;
  });

  it('answers 409 MESSAGING_REPLAY_FAILED with the error while the handler still fails, and keeps the letter open', async () => {
    const res = await replay(letterId);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'MESSAGING_REPLAY_FAILED', status: 409 });
    expect(res.json().detail).toContain('the bell rope snapped');
    const { data } = (await list()).json<{ data: DeadLetter[] }>();
    expect(data).toMatchObject([{ id: letterId, attempts: 2, replayedAt: null }]);
  });

  it('replays it once the handler is fixed, after which it leaves the default list', async () => {
    state.broken = false;
    const res = await replay(letterId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ handled: true });
    expect((await service.ctx.db.query('SELECT bell_id FROM rings')).rows).toEqual([{ bell_id: 'bell-1' }]);
    expect((await list()).json()).toEqual({ data: [] });
    const all = (await list('?includeReplayed=true')).json<{ data: DeadLetter[] }>();
    expect(all.data).toHaveLength(1);
    expect(all.data[0]!.replayedAt).toEqual(expect.any(String));
    // Replayed letters are closed: a second replay finds nothing open.
    expect((await replay(letterId)).statusCode).toBe(404);
  });

  it('answers 404 for an unknown id and 400 for a malformed id or query', async () => {
    const unknown = await replay(randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    const bad = await replay('not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    expect((await list('?limit=0')).statusCode).toBe(400);
  });

  it('documents the routes under the ops tag', async () => {
    const { paths } = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(paths['/ops/dead-letters'].get.tags).toEqual(['ops']);
    expect(paths['/ops/dead-letters/{id}/replay'].post.tags).toEqual(['ops']);
  });

  it('reports the outbox backlog to admins: zero once the relay has caught up, the waiting events otherwise', async () => {
    const backlog = () => service.app.inject({ method: 'GET', url: '/ops/outbox', headers: admin });
    expect((await backlog()).json()).toEqual({ unpublished: 0, oldestCreatedAt: null });
    expect((await service.app.inject({ method: 'GET', url: '/ops/outbox' })).statusCode).toBe(401);
    expect((await service.app.inject({ method: 'GET', url: '/ops/outbox', headers: await tokens.auth() })).statusCode).toBe(403);
    // With the relay stopped, a committed event waits in the outbox.
    await service.ctx.messaging.stop();
    await service.ctx.db.query(`INSERT INTO outbox (id, type, subject, envelope) VALUES ($1, 'bell.rang', 'bell-2', '{}')`, [randomUUID()]);
    const waiting = (await backlog()).json();
    expect(waiting.unpublished).toBe(1);
    expect(Date.parse(waiting.oldestCreatedAt)).toBeGreaterThan(0);
  });
});
