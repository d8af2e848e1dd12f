/**
 * bench:events — how fast an event gets from a committed outbox row to a consumer that has
 * handled it (its inbox row committed), in distributed mode: PostgreSQL and NATS JetStream, with
 * the producer and consumer as two kit services (each its own database and connection) in one
 * process, so one clock times both ends. Beside it, in the same run: raw JetStream publish →
 * consume, and pgbench running the commits one event costs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Type } from '@sinclair/typebox';
import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { defineEvent } from '@emporium/contracts/events';
import { buildService, createLogger, NatsTransport, type BuiltService, type ServiceDefinition } from '@emporium/kit';
import { barChart } from './lib/plot.ts';
import { ensureCommand, machine, table } from './lib/setup.ts';
import { atFixedRate, percentiles, type Percentiles } from './lib/stats.ts';

const run = promisify(execFile);
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = { url: 'nats://127.0.0.1:4222', host: '127.0.0.1:4222' };
const SECONDS = 10;
const RATES = [200, 1_000];
const HERE = fileURLToPath(new URL('./', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

const ticked = defineEvent({
  type: 'bench.ticked',
  version: 1,
  producer: 'benchsource',
  subject: 'the tick id',
  description: 'A benchmark tick.',
  delivery: 'at least once',
  schema: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
});

interface Scenario {
  name: string;
  rate: number | 'max';
  latency: Percentiles;
  throughput: number;
}

/** One path under test: how to send event n, and what has been handled so far. */
interface Path {
  name: string;
  send(n: number): Promise<void>;
  handled(): number;
  /** The latencies recorded since the last call, in ms. */
  takeLatencies(): number[];
}

/** Measures a path at each fixed rate, then as fast as 32 concurrent senders go. */
async function measure(path: Path): Promise<Scenario[]> {
  const drained = async (target: number) => {
    const deadline = Date.now() + 60_000;
    while (path.handled() < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  const scenario = async (rate: number | 'max', load: () => Promise<number>): Promise<Scenario> => {
    log(`${path.name}: ${rate === 'max' ? 'as fast as 32 concurrent senders go' : `${rate} events/s`} for ${SECONDS} s…`);
    path.takeLatencies();
    const before = path.handled();
    const started = performance.now();
    await drained(before + (await load()));
    return { name: path.name, rate, latency: percentiles(path.takeLatencies()), throughput: ((path.handled() - before) * 1000) / (performance.now() - started) };
  };
  const results: Scenario[] = [];
  for (const rate of RATES) {
    results.push(await scenario(rate, async () => {
      await atFixedRate(rate, SECONDS, path.send);
      return rate * SECONDS;
    }));
  }
  results.push(await scenario('max', async () => {
    let n = 0;
    const stopAt = performance.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (performance.now() < stopAt) await path.send(n++);
    }));
    return n;
  }));
  return results;
}

/** Collects latencies and a handled count for a path. */
function recorder() {
  let latencies: number[] = [];
  let handled = 0;
  return {
    record(latency: number | undefined) {
      handled++;
      if (latency !== undefined) latencies.push(latency);
    },
    handled: () => handled,
    takeLatencies: () => {
      const taken = latencies;
      latencies = [];
      return taken;
    },
  };
}

/** The platform's path: transaction with outbox row → relay → JetStream → inbox transaction. */
async function platformRuns(namespace: string): Promise<Scenario[]> {
  const committed = new Map<string, number>();
  const rec = recorder();
  const source = { DATABASE_URL, DATABASE_PREFIX: namespace, NATS_URL: NATS.url, EVENTS_NAMESPACE: namespace, LOG_LEVEL: 'warn' };
  const producer: ServiceDefinition = { name: 'benchsource', description: 'bench', defaultPort: 0, migrations: join(HERE, 'events/producer'), setup() {} };
  const consumer: ServiceDefinition = {
    name: 'benchsink',
    description: 'bench',
    defaultPort: 0,
    migrations: join(HERE, 'events/consumer'),
    setup(_app, ctx) {
      ctx.messaging.subscribe(ticked, 'count-ticks', async (event, tx) => {
        await tx.query('INSERT INTO seen (event_id) VALUES ($1)', [event.id]);
        // Timed once the inbox row and the effect have committed.
        tx.afterCommit(() => {
          const at = committed.get(event.id);
          rec.record(at === undefined ? undefined : performance.now() - at);
        });
      });
    },
  };
  const sink = await buildService(consumer, { source });
  const src: BuiltService = await buildService(producer, { source });
  await sink.start();
  await src.start();
  const send = async (n: number) => {
    const id = await src.ctx.db.transaction(async (tx) => {
      await tx.query('INSERT INTO ticks DEFAULT VALUES');
      return (await src.ctx.messaging.publish(tx, ticked, { n }, { subject: String(n) })).id;
    });
    committed.set(id, performance.now());
  };
  try {
    // Warm-up: 200 events, all handled before measuring starts.
    await atFixedRate(100, 2, send);
    while (rec.handled() < 200) await new Promise((r) => setTimeout(r, 20));
    return await measure({ name: 'outbox → relay → JetStream → inbox', send, ...rec });
  } finally {
    await src.close();
    await sink.close();
    const nats = await NatsTransport.connect({ url: NATS.url, namespace, log: createLogger('bench', 'silent') });
    await nats.deleteStream('benchsource');
    await nats.close();
  }
}

/** The broker floor: raw JetStream publish (with a message id) → pull consumer → ack. */
async function rawJetStream(namespace: string): Promise<Scenario[]> {
  const nc = await connect({ servers: NATS.host });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `${namespace}_RAW`.toUpperCase();
  await jsm.streams.add({ name: stream, subjects: [`${namespace}.raw.>`], storage: StorageType.File, duplicate_window: nanos(120_000) });
  await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
  const sent = new Map<string, number>();
  const rec = recorder();
  const messages = await (await js.consumers.get(stream, 'raw')).consume({ max_messages: 256 });
  const loop = (async () => {
    for await (const m of messages) {
      const at = sent.get(m.headers?.get('Nats-Msg-Id') ?? '');
      rec.record(at === undefined ? undefined : performance.now() - at);
      m.ack();
    }
  })();
  const send = async (n: number) => {
    const id = crypto.randomUUID();
    const h = natsHeaders();
    h.set('ce-type', 'bench.ticked');
    sent.set(id, performance.now());
    await js.publish(`${namespace}.raw.bench.ticked`, JSON.stringify({ n, padding: 'x'.repeat(300) }), { msgID: id, headers: h });
  };
  try {
    return await measure({ name: 'raw JetStream publish → consume', send, ...rec });
  } finally {
    await messages.close();
    await loop;
    await jsm.streams.delete(stream).catch(() => {});
    await nc.drain();
  }
}

/**
 * The database ceiling: pgbench committing what one event costs the platform. The producer's
 * transaction (its row and the outbox row) and the consumer's (inbox and effect) are two
 * commits; the relay's read and mark are shared by a batch and left out, in the ceiling's favour.
 */
async function pgbenchCeiling(dir: string, database: string): Promise<{ tps: number; eventsPerSecond: number }> {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const db = new pg.Client({ connectionString: DATABASE_URL.replace(/\/postgres$/, `/${database}`) });
  await db.connect();
  await db.query(`CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE outbox (seq bigserial PRIMARY KEY, id uuid NOT NULL UNIQUE, type text NOT NULL, subject text NOT NULL, envelope jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
    CREATE TABLE inbox (event_id uuid NOT NULL, purpose text NOT NULL, handled_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (event_id, purpose));
    CREATE TABLE seen (event_id uuid PRIMARY KEY);`);
  await db.end();
  const envelope = JSON.stringify({ specversion: '1.0', type: 'bench.ticked', data: { n: 1 }, padding: 'x'.repeat(250) });
  await writeFile(join(dir, 'producer.sql'), `BEGIN;\nINSERT INTO ticks DEFAULT VALUES;\nINSERT INTO outbox (id, type, subject, envelope) VALUES (gen_random_uuid(), 'bench.ticked', 's', '${envelope}');\nCOMMIT;\n`);
  await writeFile(join(dir, 'consumer.sql'), `BEGIN;\nINSERT INTO inbox (event_id, purpose) VALUES (gen_random_uuid(), 'count-ticks') ON CONFLICT DO NOTHING;\nINSERT INTO seen (event_id) VALUES (gen_random_uuid());\nCOMMIT;\n`);
  log(`pgbench: the producer's and the consumer's transactions, half each, 8 clients, ${SECONDS} s…`);
  const { stdout } = await run('pgbench', ['-n', '-h', '127.0.0.1', '-U', 'postgres', '-c', '8', '-j', '2', '-T', String(SECONDS), '-f', `${join(dir, 'producer.sql')}@1`, '-f', `${join(dir, 'consumer.sql')}@1`, database]);
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const admin2 = new pg.Client({ connectionString: DATABASE_URL });
  await admin2.connect();
  await admin2.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin2.end();
  return { tps, eventsPerSecond: tps / 2 };
}

async function main(): Promise<void> {
  ensureCommand('pgbench', 'postgresql-client');
  const namespace = `bench${crypto.randomUUID().slice(0, 6)}`;
  const dir = await mkdtemp(join(tmpdir(), 'emporium-bench-events-'));
  try {
    const platform = await platformRuns(namespace);
    const raw = await rawJetStream(namespace);
    const ceiling = await pgbenchCeiling(dir, `${namespace}_pgbench`);
    const rows = [...platform, ...raw].map((s) => ({
      path: s.name,
      'rate (ev/s)': s.rate === 'max' ? 'max' : s.rate,
      'handled ev/s': Math.round(s.throughput),
      'p50 ms': s.latency.p50,
      'p99 ms': s.latency.p99,
      'p99.9 ms': s.latency.p999,
      samples: s.latency.count,
    }));
    const max = platform.find((s) => s.rate === 'max')!.throughput;
    const at1000 = platform.find((s) => s.rate === 1_000)!.latency.p99;
    const summary = {
      pgbenchTps: ceiling.tps,
      ceilingEventsPerSecond: ceiling.eventsPerSecond,
      platformMaxEventsPerSecond: max,
      shareOfCeiling: max / ceiling.eventsPerSecond,
      p99At1000Ms: at1000,
      targets: { p99At1000Ms: 25, shareOfCeiling: 0.5 },
    };
    process.stdout.write(`\n${table(rows)}\n\n${table([{
      'pgbench tps (2 commits per event)': Math.round(ceiling.tps),
      'ceiling ev/s': Math.round(ceiling.eventsPerSecond),
      'platform max ev/s': Math.round(max),
      'share of ceiling': summary.shareOfCeiling,
      'target ≥': 0.5,
      'p99 at 1,000 ev/s (ms)': at1000,
      'target ≤ ms': 25,
    }])}\n`);
    const out = join(HERE, 'results');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'events.json'), `${JSON.stringify({ benchmark: 'events', machine: machine(), seconds: SECONDS, results: [...platform, ...raw], pgbench: ceiling, summary }, null, 2)}\n`);
    await writeFile(join(out, 'events.svg'), barChart({
      title: 'Commit → handled latency (p99), and the broker floor',
      unit: 'milliseconds',
      series: ['platform (outbox → inbox)', 'raw JetStream'],
      groups: RATES.map((rate) => ({ label: `${rate.toLocaleString('en')} events/s`, values: [platform.find((s) => s.rate === rate)!.latency.p99, raw.find((s) => s.rate === rate)!.latency.p99] })),
      note: `${machine().cpus} cores shared by PostgreSQL, NATS and the bench · ${new Date().toISOString().slice(0, 10)}`,
    }));
    log(`Wrote ${join(out, 'events.json')} and events.svg`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
