import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Type } from '@sinclair/typebox';
import { defineEvent, type CloudEvent } from '@emporium/contracts/events';
import { buildService, createLogger, InProcessTransport, NatsTransport, withCorrelationId, context, type BuiltService, type ServiceContext, type ServiceDefinition, type Transport, type TransportMessage } from '@emporium/kit';
import { describeOnDatabases, IN_CI, natsUnavailable, otlpCollector, pglite, postgres, testTokens, TEST_NATS_URL, type DatabaseKind, type TestDatabase } from '@emporium/testing';

/** A test event: a counter's value changed. */
const ticked = defineEvent({
  type: 'counter.ticked',
  version: 1,
  producer: 'producer',
  subject: 'the counter id',
  description: 'A counter moved on by one.',
  delivery: 'at least once; in order per subject',
  schema: Type.Object({ counterId: Type.String(), value: Type.Integer() }, { additionalProperties: false }),
});

let dirs: { producer: string; consumer: string };
beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'emporium-messaging-'));
  dirs = { producer: join(root, 'producer'), consumer: join(root, 'consumer') };
  for (const [dir, sql] of [
    [dirs.producer, 'CREATE TABLE counters (id text PRIMARY KEY, value integer NOT NULL);'],
    [dirs.consumer, 'CREATE TABLE seen (event_id uuid NOT NULL, counter_id text NOT NULL, value integer NOT NULL, at serial);'],
  ] as const) {
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, '001_init.sql'), sql);
  }
});
afterAll(() => rm(join(dirs.producer, '..'), { recursive: true, force: true }));

const silent = createLogger('test', 'silent');

/** The producer: ticks a counter and publishes the event in the same transaction. */
function producer(): ServiceDefinition {
  return { name: 'producer', description: 'ticks counters', defaultPort: 0, migrations: dirs.producer, setup() {} };
}

/** The consumer: records every event it handles; `failures` makes the handler throw that many times. */
function consumer(state: { failures: number; calls: number }, maxDeliveries = 3): ServiceDefinition {
  return {
    name: 'consumer',
    description: 'counts ticks',
    defaultPort: 0,
    migrations: dirs.consumer,
    setup(_app, ctx) {
      ctx.messaging.subscribe(
        ticked,
        'record-ticks',
        async (event, tx) => {
          state.calls++;
          if (state.failures > 0) {
            state.failures--;
            throw new Error('the handler failed on purpose');
          }
          await tx.query('INSERT INTO seen (event_id, counter_id, value) VALUES ($1, $2, $3)', [event.id, event.data.counterId, event.data.value]);
        },
        { maxDeliveries },
      );
    },
  };
}

/** A producer, as far as ticking needs it: a built service or a service context. */
type Ticker = { ctx: Pick<ServiceContext, 'db' | 'messaging'> };

async function tick(service: Ticker, counterId: string, opts: { rollback?: boolean } = {}): Promise<CloudEvent> {
  return service.ctx.db
    .transaction(async (tx) => {
      // Lock the aggregate first, then write the event: this is what keeps per-subject order.
      const { rows } = await tx.query<{ value: number }>(
        `INSERT INTO counters (id, value) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET value = counters.value + 1 RETURNING value`,
        [counterId],
      );
      const event = await service.ctx.messaging.publish(tx, ticked, { counterId, value: rows[0]!.value }, { subject: counterId });
      if (opts.rollback) throw Object.assign(new Error('rolled back on purpose'), { event });
      return event;
    })
    .catch((err: { event?: CloudEvent }) => {
      if (err.event) return err.event;
      throw err;
    });
}

const seen = async (c: BuiltService) =>
  (await c.ctx.db.query<{ event_id: string; counter_id: string; value: number }>('SELECT event_id, counter_id, value FROM seen ORDER BY at')).rows;

/** A transport for one test, and how to dispose of it. */
interface TransportKind {
  name: string;
  open(): Promise<{ transport: Transport; close(): Promise<void> }>;
}

const inProcess: TransportKind = {
  name: 'in-process',
  open: async () => ({ transport: new InProcessTransport(), close: async () => {} }),
};

/** JetStream in a namespace of its own, whose streams are deleted afterwards. */
const jetStream: TransportKind = {
  name: 'nats-jetstream',
  async open() {
    const namespace = `t${crypto.randomUUID().slice(0, 8)}`;
    const transport = await NatsTransport.connect({ url: TEST_NATS_URL, namespace, log: silent });
    return {
      transport,
      async close() {
        await transport.deleteStream('producer');
        await transport.close();
      },
    };
  },
};

/** Waits until the consumer has handled a fresh event, so everything sent before it has been handled too. */
async function settle(p: BuiltService, c: BuiltService): Promise<void> {
  const marker = await tick(p, `settle-${crypto.randomUUID()}`);
  await p.ctx.messaging.relay.drain();
  await vi.waitFor(async () => expect((await seen(c)).map((r) => r.event_id)).toContain(marker.id), { timeout: 5_000, interval: 20 });
}

describeOnDatabases('messaging on the in-process transport', (kind) => messagingSuite(kind, inProcess));

const natsReason = await natsUnavailable();
if (natsReason && !IN_CI) {
  describe.skip(`messaging on NATS JetStream — skipped: ${natsReason}`, () => {});
} else if (natsReason) {
  describe('messaging on NATS JetStream', () => it('needs NATS under CI', () => {
    throw new Error(`${natsReason}. CI=true requires it.`);
  }));
} else {
  describe('messaging on NATS JetStream [postgres]', () => messagingSuite(postgres, jetStream));
}

/** The behaviour every transport must have, the same suite for each. */
function messagingSuite(kind: DatabaseKind, transportKind: TransportKind): void {
  let pdb: TestDatabase;
  let cdb: TestDatabase;
  let transport: Transport;
  let disposeTransport: () => Promise<void>;
  let state: { failures: number; calls: number };
  let p: BuiltService;
  let c: BuiltService;

  const build = async (def: ServiceDefinition, db: TestDatabase, t: Transport = transport) =>
    buildService(def, { source: {}, db: db.db, log: silent, verifier: (await testTokens()).verifier, transport: t });

  beforeEach(async () => {
    pdb = await kind.open('producer');
    cdb = await kind.open('consumer');
    ({ transport, close: disposeTransport } = await transportKind.open());
    state = { failures: 0, calls: 0 };
    c = await build(consumer(state), cdb);
    p = await build(producer(), pdb);
    await c.start();
    await p.start();
  });
  afterEach(async () => {
    await p.close();
    await c.close();
    await disposeTransport();
    await pdb.close();
    await cdb.close();
  });

  it('delivers a committed event promptly, in a CloudEvents envelope with trace and correlation ids', async () => {
    const event = await context.with(withCorrelationId(context.active(), 'corr-42'), () => tick(p, 'a'));
    await vi.waitFor(async () => expect(await seen(c)).toHaveLength(1), { timeout: 3_000, interval: 20 });
    expect((await seen(c))[0]).toEqual({ event_id: event.id, counter_id: 'a', value: 1 });
    expect(event).toMatchObject({ specversion: '1.0', source: '/emporium/producer', type: 'counter.ticked', subject: 'a', dataschema: 'urn:emporium:events:counter.ticked:v1', correlationid: 'corr-42' });
    const { rows } = await p.ctx.db.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM outbox WHERE id = $1', [event.id]);
    expect(rows[0]!.published).toBe(true);
  });

  it('publishes nothing for a transaction that rolls back', async () => {
    await tick(p, 'b', { rollback: true });
    await p.ctx.messaging.relay.drain();
    expect((await p.ctx.db.query('SELECT 1 FROM outbox')).rowCount).toBe(0);
    expect(state.calls).toBe(0);
  });

  it('applies a redelivered event once', async () => {
    const event = await tick(p, 'c');
    await vi.waitFor(async () => expect(await seen(c)).toHaveLength(1), { timeout: 3_000, interval: 20 });
    // The same message again, as a broker would redeliver it.
    const message: TransportMessage = { id: event.id, type: event.type, subject: event.subject, producer: 'producer', body: JSON.stringify(event) };
    await transport.publish([message]);
    await transport.publish([message]);
    await settle(p, c);
    expect((await seen(c)).filter((r) => r.event_id === event.id)).toHaveLength(1);
  });

  it('retries a failing handler, dead-letters it after the last attempt, and replays it', async () => {
    // 1. The handler fails on every one of the 3 allowed deliveries.
    state.failures = 3;
    const event = await tick(p, 'd');
    await vi.waitFor(async () => expect(await c.ctx.messaging.deadLetters()).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(state.calls).toBe(3);
    const [letter] = await c.ctx.messaging.deadLetters();
    expect(letter).toMatchObject({ eventId: event.id, purpose: 'record-ticks', type: 'counter.ticked', reason: 'failed', attempts: 3, replayedAt: null });
    expect(letter!.error).toContain('failed on purpose');
    expect(await seen(c)).toHaveLength(0);

    // 2. Replayed once the handler works: handled, and no longer open.
    expect(await c.ctx.messaging.replay(letter!.id)).toEqual({ handled: true });
    expect(await seen(c)).toHaveLength(1);
    expect(await c.ctx.messaging.deadLetters()).toHaveLength(0);
    expect((await c.ctx.messaging.deadLetters({ includeReplayed: true }))[0]!.replayedAt).not.toBeNull();
  });

  it('dead-letters an invalid payload at once, without calling the handler', async () => {
    const event = await tick(p, 'e');
    await vi.waitFor(async () => expect(await seen(c)).toHaveLength(1), { timeout: 3_000, interval: 20 });
    const bad = { ...event, id: crypto.randomUUID(), data: { counterId: 'e', value: 'three' } };
    await transport.publish([{ id: bad.id, type: bad.type, subject: bad.subject, producer: 'producer', body: JSON.stringify(bad) }]);
    await vi.waitFor(async () => expect(await c.ctx.messaging.deadLetters()).toHaveLength(1), { timeout: 5_000, interval: 20 });
    const [letter] = await c.ctx.messaging.deadLetters();
    expect(letter).toMatchObject({ eventId: bad.id, reason: 'invalid', attempts: 1 });
    expect(letter!.error).toContain('value');
    expect(state.calls).toBe(1);
    expect((await c.ctx.messaging.replay(letter!.id)).handled).toBe(false);
  });

  it('publishes after a restart what was committed while the relay was down', async () => {
    // 1. The producer commits with no relay running (built, never started), then goes away.
    const stopped = await build(producer(), pdb);
    const event = await tick(stopped, 'f');
    await stopped.close();
    expect(state.calls).toBe(0);
    // 2. A producer starts again on the same database: the row goes out.
    await p.ctx.messaging.relay.drain();
    await vi.waitFor(async () => expect((await seen(c)).map((r) => r.event_id)).toContain(event.id), { timeout: 3_000, interval: 20 });
  });

  it('repeats a batch when the relay dies between publishing and marking, and the inbox absorbs it', async () => {
    // 1. A transport that delivers, then fails as if the process died before the rows were marked.
    let crashes = 1;
    const crashing: Transport = {
      kind: 'crashing',
      publish: async (messages) => {
        await transport.publish(messages);
        if (crashes-- > 0) throw new Error('killed after publishing');
      },
      subscribe: (s) => transport.subscribe(s),
      ping: () => transport.ping(),
      close: async () => {},
    };
    await p.close();
    p = await build(producer(), pdb, crashing);
    await tick(p, 'g');
    await expect(p.ctx.messaging.relay.drain()).rejects.toThrow('killed after publishing');
    // 2. The next drain publishes the same row again; it is handled once.
    await p.ctx.messaging.relay.drain();
    await settle(p, c);
    expect((await seen(c)).filter((r) => r.counter_id === 'g')).toHaveLength(1);
    expect((await p.ctx.db.query('SELECT 1 FROM outbox WHERE published_at IS NULL')).rowCount).toBe(0);
  });

  it('keeps the order of each subject under concurrent producers', async () => {
    const counters = ['h1', 'h2', 'h3', 'h4'];
    await Promise.all(counters.flatMap((id) => Array.from({ length: 15 }, () => tick(p, id))));
    await vi.waitFor(async () => expect(await seen(c)).toHaveLength(60), { timeout: 10_000, interval: 50 });
    const rows = await seen(c);
    for (const id of counters) {
      expect(rows.filter((r) => r.counter_id === id).map((r) => r.value)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    }
  });

  it('lets only one of two relays publish at a time, so each event goes out once', async () => {
    // A second producer replica on the same database, with its own relay.
    const twin = await build(producer(), pdb);
    await twin.start();
    try {
      const published = new Map<string, number>();
      const original = transport.publish.bind(transport);
      transport.publish = async (messages: readonly TransportMessage[]) => {
        for (const m of messages) published.set(m.id, (published.get(m.id) ?? 0) + 1);
        return original(messages);
      };
      await Promise.all(Array.from({ length: 30 }, (_, i) => tick(i % 2 ? p : twin, `r${i % 3}`)));
      await vi.waitFor(async () => expect(await seen(c)).toHaveLength(30), { timeout: 10_000, interval: 50 });
      expect([...published.values()].every((n) => n === 1)).toBe(true);
      expect(published.size).toBe(30);
    } finally {
      await twin.close();
    }
  });

  if (kind === postgres) {
    it('publishes what a replica without the relay lock commits, woken by NOTIFY rather than a poll', async () => {
      // 1. The running producer holds the lock; a second replica polls only every 10 minutes.
      await p.ctx.messaging.relay.drain();
      const twin = await buildService(producer(), { source: { OUTBOX_POLL_MS: '600000' }, db: pdb.db, log: silent, verifier: (await testTokens()).verifier, transport });
      await p.close();
      p = await buildService(producer(), { source: { OUTBOX_POLL_MS: '600000' }, db: pdb.db, log: silent, verifier: (await testTokens()).verifier, transport });
      await p.start();
      await p.ctx.messaging.relay.drain(); // now p certainly holds the lock
      await twin.start();
      try {
        // 2. The twin commits; whichever relay holds the lock is woken by the commit's NOTIFY.
        const event = await tick(twin, 'notified');
        await vi.waitFor(async () => expect((await seen(c)).map((r) => r.event_id)).toContain(event.id), { timeout: 10_000, interval: 50 });
      } finally {
        await twin.close();
      }
    });
  }

  if (transportKind === inProcess) {
    it('keeps one dead letter per event and subscription when a bad message comes again', async () => {
      // JetStream's dedup window would drop the repeat before delivery; in process it arrives.
      const event = await tick(p, 'dl');
      await vi.waitFor(async () => expect(await seen(c)).toHaveLength(1), { timeout: 3_000, interval: 20 });
      const bad = { ...event, id: crypto.randomUUID(), data: { counterId: 'dl' } };
      const message = { id: bad.id, type: bad.type, subject: bad.subject, producer: 'producer', body: JSON.stringify(bad) };
      await transport.publish([message]);
      await transport.publish([message]);
      const letters = await c.ctx.messaging.deadLetters();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ eventId: bad.id, reason: 'invalid', attempts: 2 });
    });
  }

  if (transportKind === jetStream) {
    it('lets two replicas of a consumer share one durable consumer, so each event is handled once in all', async () => {
      // A second replica of the consumer on the same database, with its own connection.
      const { transport: second, close } = await transportKind.open();
      const twinState = { failures: 0, calls: 0 };
      const twin = await buildService(consumer(twinState), { source: {}, db: cdb.db, log: silent, verifier: (await testTokens()).verifier, transport: second });
      try {
        await twin.start();
        await Promise.all(Array.from({ length: 40 }, (_, i) => tick(p, `s${i % 4}`)));
        await vi.waitFor(async () => expect(await seen(c)).toHaveLength(40), { timeout: 10_000, interval: 50 });
        expect(new Set((await seen(c)).map((r) => r.event_id)).size).toBe(40);
        expect(state.calls + twinState.calls).toBe(40);
      } finally {
        await twin.close();
        await close();
      }
    });
  }
}

describe('tracing across the broker', () => {
  it('shows the producer request, the relay and the consumer handling as one tree', async () => {
    // 1. Producer and consumer export their spans to one collector; the producer has a route that ticks.
    const collector = await otlpCollector();
    const [pdb, cdb] = [await pglite.open('producer'), await pglite.open('consumer')];
    const transport = new InProcessTransport();
    const state = { failures: 0, calls: 0 };
    const source = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint };
    const verifier = (await testTokens()).verifier;
    const c = await buildService(consumer(state), { source, db: cdb.db, log: silent, verifier, transport });
    const p = await buildService(
      { ...producer(), setup: (app, ctx) => void app.post('/tick', async () => tick({ ctx }, 'traced')) },
      { source, db: pdb.db, log: silent, verifier, transport },
    );
    try {
      await c.start();
      await p.start();
      // 2. A request that carries a trace in, and its event goes out.
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      await p.app.inject({ method: 'POST', url: '/tick', headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
      await vi.waitFor(async () => expect(await seen(c)).toHaveLength(1), { timeout: 3_000, interval: 20 });
    } finally {
      // 3. Closing flushes both exporters.
      await p.close();
      await c.close();
      await pdb.close();
      await cdb.close();
      await collector.close();
    }
    const spans = collector.spans().filter((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c');
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const request = spans.find((s) => s.name === 'POST /tick')!;
    const publish = spans.find((s) => s.name === 'publish producer.counter.ticked')!;
    const handle = spans.find((s) => s.name === 'process producer.counter.ticked')!;
    expect(request.parentSpanId).toBe('b7ad6b7169203331');
    expect([request.service, publish.service, handle.service]).toEqual(['producer', 'producer', 'consumer']);
    // The handler is a child of the relay's span, which descends from the request.
    expect(handle.parentSpanId).toBe(publish.spanId);
    let ancestor = byId.get(publish.parentSpanId!);
    while (ancestor && ancestor !== request) ancestor = byId.get(ancestor.parentSpanId!);
    expect(ancestor).toBe(request);
    // The consumer's own database work joins the same trace.
    expect(spans.some((s) => s.service === 'consumer' && s.name.startsWith('db ') && s.parentSpanId !== undefined)).toBe(true);
  });
});
