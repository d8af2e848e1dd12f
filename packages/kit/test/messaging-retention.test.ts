import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Type } from '@sinclair/typebox';
import { jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { defineEvent } from '@emporium/contracts/events';
import { buildService, createLogger, InProcessTransport, NatsTransport, type BuiltService, type ServiceDefinition } from '@emporium/kit';
import { describeOnDatabases, IN_CI, natsUnavailable, testTokens, TEST_NATS_URL, type DatabaseKind, type TestDatabase } from '@emporium/testing';

const silent = createLogger('test', 'silent');
const DAY = 24 * 3_600_000;

/** An event the producer sends on (a command, say) and one it keeps as its log. */
const sent = defineEvent({
  type: 'thing.sent',
  version: 1,
  producer: 'producer',
  subject: 'the thing id',
  description: 'A thing was sent.',
  delivery: 'at least once',
  schema: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
});
const logged = defineEvent({ ...sent, type: 'thing.logged', description: 'A thing was logged for good.' });

let migrations: string;
beforeAll(async () => {
  migrations = await mkdtemp(join(tmpdir(), 'emporium-retention-'));
  await mkdir(migrations, { recursive: true });
  await writeFile(join(migrations, '001_init.sql'), 'CREATE TABLE things (id integer PRIMARY KEY);');
});
afterAll(() => rm(migrations, { recursive: true, force: true }));

const producer = (): ServiceDefinition => ({
  name: 'producer',
  description: 'sends things',
  defaultPort: 0,
  migrations,
  setup(_app, ctx) {
    ctx.messaging.keep(logged);
  },
});

describeOnDatabases('messaging retention', (kind: DatabaseKind) => {
  let db: TestDatabase;
  let p: BuiltService;
  beforeEach(async () => {
    db = await kind.open('producer');
    // Built but not started: the test decides what is published and when the round runs.
    p = await buildService(producer(), { source: {}, db: db.db, log: silent, verifier: (await testTokens()).verifier, transport: new InProcessTransport() });
  });
  afterEach(async () => {
    await p.close();
    await db.close();
  });

  /** Writes an event to the outbox, created `ageMs` ago and, unless `unpublished`, published then too. */
  const write = async (definition: typeof sent, ageMs: number, opts: { unpublished?: boolean } = {}) => {
    const event = await p.ctx.db.transaction((tx) => p.ctx.messaging.publish(tx, definition, { n: 1 }, { subject: randomUUID() }));
    await p.ctx.db.query(
      `UPDATE outbox SET created_at = now() - make_interval(secs => $2), published_at = CASE WHEN $3 THEN NULL ELSE now() - make_interval(secs => $2) END WHERE id = $1`,
      [event.id, ageMs / 1000, opts.unpublished ?? false],
    );
    return event.id;
  };
  const outboxIds = async () => (await p.ctx.db.query<{ id: string }>('SELECT id FROM outbox ORDER BY seq')).rows.map((r) => r.id);

  it('deletes published outbox rows past the retention, never an unpublished one nor a kept type', async () => {
    const old = await write(sent, 8 * DAY);
    const oldUnpublished = await write(sent, 30 * DAY, { unpublished: true });
    const recent = await write(sent, 6 * DAY);
    const oldKept = await write(logged, 30 * DAY);

    expect(await p.ctx.messaging.prune()).toEqual({ outbox: 1, inbox: 0 });
    expect(await outboxIds()).toEqual([oldUnpublished, recent, oldKept]);
    expect(await outboxIds()).not.toContain(old);
    // The unpublished row still goes out, however old.
    expect(await p.ctx.messaging.outboxBacklog()).toMatchObject({ unpublished: 1 });
  });

  it('deletes inbox records a day after the retention, once no redelivery can reach them', async () => {
    const handled = async (ageMs: number) => {
      const id = randomUUID();
      await p.ctx.db.query("INSERT INTO inbox (event_id, purpose, handled_at) VALUES ($1, 'count-things', now() - make_interval(secs => $2))", [id, ageMs / 1000]);
      return id;
    };
    await handled(9 * DAY);
    const withinMargin = await handled(7.5 * DAY);
    const recent = await handled(DAY);
    expect(await p.ctx.messaging.prune()).toEqual({ outbox: 0, inbox: 1 });
    const { rows } = await p.ctx.db.query<{ event_id: string }>('SELECT event_id FROM inbox ORDER BY handled_at');
    expect(rows.map((r) => r.event_id)).toEqual([withinMargin, recent]);
  });

  it('runs a retention round when the service starts', async () => {
    const old = await write(sent, 10 * DAY);
    await p.start();
    await vi.waitFor(async () => expect(await outboxIds()).not.toContain(old), { timeout: 5_000, interval: 50 });
  });
});

const natsReason = await natsUnavailable();
if (natsReason && !IN_CI) {
  describe.skip(`stream retention on NATS JetStream — skipped: ${natsReason}`, () => {});
} else if (natsReason) {
  describe('stream retention on NATS JetStream', () => it('needs NATS under CI', () => {
    throw new Error(`${natsReason}. CI=true requires it.`);
  }));
} else {
  describe('stream retention on NATS JetStream', () => {
    const namespace = `t${randomUUID().slice(0, 8)}`;
    const transports: NatsTransport[] = [];
    const open = async (maxAgeMs?: number) => {
      const t = await NatsTransport.connect({ url: TEST_NATS_URL, namespace, log: silent, ...(maxAgeMs ? { maxAgeMs } : {}) });
      transports.push(t);
      return t;
    };
    const message = (producer: string) => ({ id: randomUUID(), type: 'thing.sent', subject: 'a', producer, body: '{"secret":"4242424242424242"}' });
    afterAll(async () => {
      for (const producer of ['old', 'fresh', 'brief']) await transports[0]?.deleteStream(producer);
      for (const t of transports) await t.close();
    });

    it('creates streams with a max age of 7 days, and gives one to a stream made without', async () => {
      // 1. A stream as the previous version made it: no max age.
      const url = new URL(TEST_NATS_URL);
      const nc = await connect({ servers: `${url.hostname}:${url.port || 4222}` });
      const jsm = await jetstreamManager(nc);
      try {
        const t = await open();
        await jsm.streams.add({ name: t.streamOf('old'), subjects: [`${namespace}.old.>`] });
        expect((await jsm.streams.info(t.streamOf('old'))).config.max_age).toBe(0);
        // 2. The transport publishes to it, and to a stream it creates.
        await t.publish([message('old'), message('fresh')]);
        expect((await jsm.streams.info(t.streamOf('old'))).config.max_age).toBe(nanos(7 * DAY));
        expect((await jsm.streams.info(t.streamOf('fresh'))).config.max_age).toBe(nanos(7 * DAY));
        expect(await t.storedMessages('old')).toHaveLength(1);
      } finally {
        await nc.close();
      }
    });

    it('drops a message once it is older than the max age', async () => {
      const t = await open(1_000);
      await t.publish([message('brief')]);
      expect((await t.storedMessages('brief')).map((m) => m.body)).toEqual(['{"secret":"4242424242424242"}']);
      await vi.waitFor(async () => expect(await t.storedMessages('brief')).toEqual([]), { timeout: 15_000, interval: 250 });
    });
  });
}
