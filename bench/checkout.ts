/**
 * bench:checkout — the checkout saga in distributed mode (every service its own process, over
 * PostgreSQL and NATS JetStream): orders are POSTed through the gateway at rising fixed rates, and
 * each is timed from the POST to its order.confirmed event as seen on the broker. In the same run:
 * the transactions one order costs (pg_stat_database, idle pollers subtracted), CPU per process,
 * the time per saga hop, and pgbench running that many small transactions as the database ceiling.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { createLogger, NatsTransport, processEnv } from '@emporium/kit';
import { ApiClient } from '../tools/src/api-client.ts';
import { startDistributed, type DistributedPlatform } from '../tools/src/distributed.ts';
import { seedDemo } from '../tools/src/seed/seed.ts';
import { BACKENDS, DEV_ACCOUNTS } from '../tools/src/services.ts';
import { cpuSnapshot, cpuUsage, machineCpuSeconds, type CpuSnapshot, type ProcessInfo } from './lib/cpu.ts';
import { lineChart } from './lib/plot.ts';
import { ensureCommand, machine, table } from './lib/setup.ts';
import { atFixedRate, percentiles, type Percentiles } from './lib/stats.ts';

const run = promisify(execFile);
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = 'nats://127.0.0.1:4222';
const REPLICAS = processEnv().REPLICAS ?? '1';
const SETTINGS = {
  rates: [5, 10, 20, 40, 60, 80, 120],
  stepSeconds: 15,
  warmupRate: 5,
  warmupSeconds: 6,
  drainMs: 60_000,
  quiesceMs: 120_000,
  statsSettleMs: 11_000,
  idleWindowSeconds: 35,
  growthToContinue: 1.1,
  p99StopMs: 5_000,
  shoppers: 50,
  products: 10,
  stockPerProduct: 10_000_000,
  pgbench: { clients: 8, threads: 2, seconds: 15 },
  replicas: REPLICAS,
  targets: { halfPlateauP99Ms: 500, shareOfCeiling: 0.5 },
};
const CARD = '4242424242424242';
const ADDRESS = { name: 'Bench Buyer', line1: '1 Load Street', city: 'Arlington', postalCode: '22202', country: 'US' };
const HOPS = [
  { type: 'inventory.reserve', by: 'gateway + orders (POST, saga start) + relay' },
  { type: 'inventory.reserved', by: 'inventory' },
  { type: 'payment.authorize', by: 'orders' },
  { type: 'payment.authorized', by: 'payments (provider call)' },
  { type: 'shipment.schedule', by: 'orders' },
  { type: 'shipment.scheduled', by: 'shipping' },
  { type: 'inventory.commit', by: 'orders' },
  { type: 'inventory.committed', by: 'inventory' },
  { type: 'payment.capture', by: 'orders' },
  { type: 'payment.captured', by: 'payments (provider call)' },
  { type: 'order.confirmed', by: 'orders' },
];
const HERE = fileURLToPath(new URL('./', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Watches the broker: order.confirmed and order.cancelled through ordered JetStream consumers, and every saga message for the per-hop times. */
class Watcher {
  readonly sentAt = new Map<string, number>();
  readonly confirmedAt = new Map<string, number>();
  readonly cancelledAt = new Map<string, number>();
  readonly seen = new Map<string, Map<string, number>>();
  private readonly loops: Promise<void>[] = [];
  private readonly consumers: ConsumerMessages[] = [];
  private tap: Subscription | undefined;

  private constructor(private readonly nc: NatsConnection) {}

  static async start(namespace: string): Promise<Watcher> {
    const w = new Watcher(await connect({ servers: NATS_URL.replace('nats://', '') }));
    const js = jetstream(w.nc);
    const stream = `${namespace}_orders`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    for (const [type, into] of [['order.confirmed', w.confirmedAt], ['order.cancelled', w.cancelledAt]] as const) {
      const consumer = await js.consumers.get(stream, { filter_subjects: `${namespace}.orders.${type}`, deliver_policy: DeliverPolicy.New });
      const messages = await consumer.consume();
      w.consumers.push(messages);
      w.loops.push((async () => {
        for await (const m of messages) {
          const at = performance.now();
          const id = m.json<{ data?: { orderId?: string } }>().data?.orderId;
          if (id && !into.has(id)) into.set(id, at);
        }
      })());
    }
    w.tap = w.nc.subscribe(`${namespace}.>`, {
      callback: (err, m) => {
        if (err) return;
        const at = performance.now();
        const type = m.headers?.get('ce-type') ?? '';
        if (!HOPS.some((h) => h.type === type)) return;
        const id = m.json<{ data?: { orderId?: string } }>().data?.orderId;
        if (!id) return;
        const times = w.seen.get(id) ?? new Map<string, number>();
        if (!times.has(type)) times.set(type, at);
        w.seen.set(id, times);
      },
    });
    await w.nc.flush();
    return w;
  }

  settled(id: string): boolean {
    return this.confirmedAt.has(id) || this.cancelledAt.has(id);
  }

  async close(): Promise<void> {
    this.tap?.unsubscribe();
    for (const c of this.consumers) await c.close().catch(() => {});
    await Promise.all(this.loops.map((l) => l.catch(() => {})));
    await this.nc.drain().catch(() => {});
  }
}

/** What one rate step measured. */
interface Step {
  label: string;
  offeredRate: number;
  seconds: number;
  sent: number;
  accepted: number;
  rejected: Record<string, number>;
  confirmed: number;
  cancelled: number;
  unsettled: number;
  confirmedPerSecond: number;
  confirmLatencyMs: Percentiles;
  postLatencyMs: Percentiles;
  drainMs: number;
  commits: { measured: number; idle: number; windowSeconds: number; perConfirmedOrder: number };
  /** Per service database: commits per confirmed order (idle rate subtracted), sessions opened, and statement time per order. */
  byDatabase: Record<string, { commitsPerOrder: number; sessionsOpened: number; activeMsPerOrder: number }>;
  /** CPU of processes that are not the platform, PostgreSQL, NATS or the bench, in % of one core. */
  otherProcessesPercent: number;
  cpuPercentOfOneCore: Record<string, number>;
  cpuWindowSeconds: number;
  hopsMs: Array<{ hop: string; by: string; p50: number; p99: number }>;
}

/** Counters of one database in pg_stat_database. */
interface DbCounters {
  commits: number;
  sessions: number;
  activeMs: number;
}

async function databaseStats(prefix: string): Promise<Map<string, DbCounters>> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  const { rows } = await c.query<{ datname: string; commits: string; sessions: string; active: number }>(
    'SELECT datname, xact_commit AS commits, sessions, active_time AS active FROM pg_stat_database WHERE datname LIKE $1',
    [`${prefix}_%`],
  );
  await c.end();
  return new Map(rows.map((r) => [r.datname.slice(prefix.length + 1), { commits: Number(r.commits), sessions: Number(r.sessions), activeMs: Number(r.active) }]));
}

function counterDelta(a: Map<string, DbCounters>, b: Map<string, DbCounters>): Map<string, DbCounters> {
  const out = new Map<string, DbCounters>();
  for (const [db, end] of b) {
    const start = a.get(db) ?? { commits: 0, sessions: 0, activeMs: 0 };
    out.set(db, { commits: end.commits - start.commits, sessions: end.sessions - start.sessions, activeMs: end.activeMs - start.activeMs });
  }
  return out;
}

const totalCommits = (m: Map<string, DbCounters>) => [...m.values()].reduce((sum, c) => sum + c.commits, 0);

/** Waits until the machine's CPU is mostly idle (below 40% of one core over a second), at most `ms`. */
async function quiet(ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const a = machineCpuSeconds();
    await sleep(1_000);
    const b = machineCpuSeconds();
    if (b.busy - a.busy < 0.4) return;
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port base below the ephemeral range and away from the end-to-end tests' (20000–39999) whose ports are all free. */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 11_000 + Math.floor(Math.random() * 80) * 100;
    const ports = [base + 80, ...[0, 1].flatMap((r) => Array.from({ length: 9 }, (_, i) => base + r * 100 + i + 1))];
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free block of ports between 11000 and 19100');
}

function hopBreakdown(w: Watcher, ids: readonly string[]): Step['hopsMs'] {
  const gaps = HOPS.map(() => [] as number[]);
  for (const id of ids) {
    const times = w.seen.get(id);
    const sent = w.sentAt.get(id);
    if (!times || sent === undefined || !HOPS.every((h) => times.has(h.type))) continue;
    let prev = sent;
    HOPS.forEach((h, i) => {
      const t = times.get(h.type)!;
      gaps[i]!.push(t - prev);
      prev = t;
    });
  }
  return HOPS.map((h, i) => {
    const p = percentiles(gaps[i]!);
    return { hop: `→ ${h.type}`, by: h.by, p50: Math.round(p.p50 * 10) / 10, p99: Math.round(p.p99 * 10) / 10 };
  });
}

async function main(): Promise<void> {
  ensureCommand('pgbench', 'postgresql-client');
  const prefix = `bench_${randomBytes(3).toString('hex')}`;
  const base = await freePortBase();
  const dir = await mkdtemp(join(tmpdir(), 'emporium-bench-checkout-'));
  let platform: DistributedPlatform | undefined;
  let watcher: Watcher | undefined;
  let http: Pool | undefined;
  const warnings: string[] = [];
  let warningCount = 0;
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      log('Cleaning up: the platform, its databases and streams, the pgbench database…');
      await http?.close().catch(() => {});
      await watcher?.close().catch(() => {});
      await platform?.stop().catch(() => {});
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}_%`]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await admin.end();
      const nats = await NatsTransport.connect({ url: NATS_URL, namespace: prefix, log: createLogger('bench', 'silent') });
      for (const def of BACKENDS) await nats.deleteStream(def.name);
      await nats.close();
      await rm(dir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    log(`Starting the platform in distributed mode (REPLICAS=${REPLICAS}, namespace ${prefix}, gateway on port ${base + 80})…`);
    const started = performance.now();
    platform = await startDistributed(
      {
        DATABASE_URL,
        DATABASE_PREFIX: prefix,
        NATS_URL,
        EVENTS_NAMESPACE: prefix,
        PORT: String(base + 80),
        SERVICE_PORT_BASE: String(base),
        REPLICAS,
        LOG_LEVEL: 'warn',
        // Every order comes from 127.0.0.1: budgets far above the load, so none is refused.
        RATE_LIMIT_PER_IP: '100000000',
        RATE_LIMIT_PER_USER: '100000000',
        REGISTER_MAX_PER_IP: '100000000',
        ACCESS_TOKEN_TTL_SECONDS: '7200',
        PATH: '/usr/bin:/bin',
      },
      (line) => {
        warningCount++;
        warnings.push(line.slice(0, 400));
        if (warnings.length > 30) warnings.splice(1, 1);
      },
    );
    const processCount = platform.replicas.length;
    log(`${processCount} processes ready in ${Math.round((performance.now() - started) / 1000)} s.`);
    const gateway = platform.gatewayUrl;
    await seedDemo(gateway, log);

    const api = new ApiClient(gateway);
    const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
    const category = (await api.get<{ data: Array<{ slug: string }> }>('/api/v1/categories')).body.data[0]!.slug;
    log(`Creating ${SETTINGS.products} bench products with ${SETTINGS.stockPerProduct.toLocaleString('en')} units each…`);
    const products: string[] = [];
    for (let i = 0; i < SETTINGS.products; i++) {
      const res = await admin.post<{ id: string }>('/api/v1/products', {
        sku: `BENCH-${randomUUID().slice(0, 12)}`,
        name: `Bench kettle ${i + 1}`,
        description: 'A kettle bought over and over by the checkout benchmark.',
        price: { amount: 1_000 + i * 100, currency: 'USD' },
        category,
        initialStock: SETTINGS.stockPerProduct,
      });
      if (res.status !== 201) throw new Error(`creating a bench product: ${res.status} ${JSON.stringify(res.body)}`);
      products.push(res.body.id);
    }
    const stocked = Date.now() + 30_000;
    for (const id of products) {
      while ((await api.get<{ available?: number }>(`/api/v1/inventory/${id}`)).body.available !== SETTINGS.stockPerProduct) {
        if (Date.now() > stocked) throw new Error(`inventory did not show the stock of ${id} within 30 s`);
        await sleep(100);
      }
    }

    log(`Registering ${SETTINGS.shoppers} shoppers…`);
    const tokens: string[] = [];
    for (let i = 0; i < SETTINGS.shoppers; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, SETTINGS.shoppers - i) }, async () => {
        const res = await api.post<{ accessToken: string }>('/api/v1/auth/register', { email: `bench-${randomUUID()}@example.com`, password: 'bench password 123', name: 'Bench Buyer' });
        if (res.status !== 201) throw new Error(`registering a shopper: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body.accessToken;
      }));
      tokens.push(...batch);
      log(`  shoppers: ${tokens.length}/${SETTINGS.shoppers}`);
    }

    watcher = await Watcher.start(prefix);
    const w = watcher;
    http = new Pool(gateway, { connections: 256, pipelining: 1 });
    const pool = http;
    let n = 0;
    const place = async (ids: string[], postLatencies: number[], rejected: Record<string, number>) => {
      const i = n++;
      const items = [{ productId: products[i % products.length]!, quantity: 1 + (i % 2) }];
      if (i % 3 === 0) items.push({ productId: products[(i + 3) % products.length]!, quantity: 1 });
      const body = JSON.stringify({ items, shippingAddress: ADDRESS, payment: { cardNumber: CARD } });
      const sentAt = performance.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/api/v1/orders',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}`, 'idempotency-key': randomUUID() },
          body,
        });
        const text = await res.body.text();
        postLatencies.push(performance.now() - sentAt);
        if (res.statusCode !== 202) {
          rejected[String(res.statusCode)] = (rejected[String(res.statusCode)] ?? 0) + 1;
          return;
        }
        const id = (JSON.parse(text) as { id: string }).id;
        w.sentAt.set(id, sentAt);
        ids.push(id);
      } catch (err) {
        const key = (err as Error).name || 'error';
        rejected[key] = (rejected[key] ?? 0) + 1;
      }
    };

    const classify = (byPid: Map<number, string>) => (p: ProcessInfo) => {
      const service = byPid.get(p.pid);
      if (service) return service;
      if (p.pid === process.pid) return 'bench (load + broker watch)';
      if (p.comm === 'nats-server') return 'nats-server';
      if (p.comm === 'postgres') return p.cmdline.includes(` ${prefix}_`) ? 'postgres (the platform\'s backends)' : 'postgres (other: server processes, other clients)';
      return `other: ${p.comm.split('/')[0]}`;
    };
    const snapshot = (): CpuSnapshot => {
      const byPid = new Map<number, string>();
      for (const r of platform!.replicas) if (r.child.pid) byPid.set(r.child.pid, r.service);
      return cpuSnapshot(classify(byPid));
    };

    log(`Warm-up: ${SETTINGS.warmupRate} orders/s for ${SETTINGS.warmupSeconds} s…`);
    const warm: string[] = [];
    const warmRejected: Record<string, number> = {};
    await atFixedRate(SETTINGS.warmupRate, SETTINGS.warmupSeconds, () => place(warm, [], warmRejected));
    const warmDeadline = Date.now() + 60_000;
    while (warm.some((id) => !w.settled(id)) && Date.now() < warmDeadline) await sleep(50);
    if (warm.length === 0 || !warm.every((id) => w.confirmedAt.has(id))) {
      throw new Error(`the warm-up orders did not all confirm: ${warm.filter((id) => w.confirmedAt.has(id)).length}/${warm.length} confirmed, rejected ${JSON.stringify(warmRejected)}; service lines: ${warnings.join('\n')}`);
    }
    await quiet(20_000);
    await sleep(SETTINGS.statsSettleMs);

    log(`Idle window: ${SETTINGS.idleWindowSeconds} s with no load, counting the background pollers' commits…`);
    const idle0 = await databaseStats(prefix);
    const idleStart = performance.now();
    await sleep(SETTINGS.idleWindowSeconds * 1000);
    const idleDelta = counterDelta(idle0, await databaseStats(prefix));
    const idleSeconds = (performance.now() - idleStart) / 1000;
    const idleCommits = totalCommits(idleDelta);
    const idlePerSecond = idleCommits / idleSeconds;
    log(`  ${idleCommits} commits while idle: ${idlePerSecond.toFixed(1)}/s.`);

    const runStep = async (rate: number, label: string): Promise<Step> => {
      log(`${label}: ${rate} orders/s for ${SETTINGS.stepSeconds} s…`);
      const ids: string[] = [];
      const postLatencies: number[] = [];
      const rejected: Record<string, number> = {};
      const stats0 = await databaseStats(prefix);
      const commitsStart = performance.now();
      const cpu0 = snapshot();
      const start = performance.now();
      await atFixedRate(rate, SETTINGS.stepSeconds, () => place(ids, postLatencies, rejected));
      const sendEnd = performance.now();
      while (ids.some((id) => !w.settled(id)) && performance.now() - sendEnd < SETTINGS.drainMs) await sleep(50);
      const drainMs = performance.now() - sendEnd;
      const cpu1 = snapshot();
      const cpu = Object.fromEntries(Object.entries(cpuUsage(cpu0, cpu1)).filter(([group, pct]) => pct >= 1 || !group.startsWith('other: ')));
      const confirmed = ids.filter((id) => w.confirmedAt.has(id));
      const cancelled = ids.filter((id) => w.cancelledAt.has(id)).length;
      const lastConfirmed = Math.max(start, ...confirmed.map((id) => w.confirmedAt.get(id)!));
      const confirmedPerSecond = confirmed.length / ((lastConfirmed - start) / 1000);
      const latency = percentiles(confirmed.map((id) => w.confirmedAt.get(id)! - w.sentAt.get(id)!));
      const unsettled = ids.filter((id) => !w.settled(id)).length;
      log(`  ${confirmed.length} confirmed (${confirmedPerSecond.toFixed(1)}/s), ${cancelled} cancelled, ${unsettled} unsettled after ${(drainMs / 1000).toFixed(1)} s of drain; p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms`);
      const quiesce = Date.now() + SETTINGS.quiesceMs;
      while (ids.some((id) => !w.settled(id)) && Date.now() < quiesce) await sleep(100);
      await quiet(30_000);
      await sleep(SETTINGS.statsSettleMs);
      const delta = counterDelta(stats0, await databaseStats(prefix));
      const measured = totalCommits(delta);
      const windowSeconds = (performance.now() - commitsStart) / 1000;
      const idle = idlePerSecond * windowSeconds;
      const confirmedNow = ids.filter((id) => w.confirmedAt.has(id)).length;
      const byDatabase = Object.fromEntries([...delta].sort((a, b) => b[1].commits - a[1].commits).map(([db, d]) => [db, {
        commitsPerOrder: Math.round(((d.commits - ((idleDelta.get(db)?.commits ?? 0) / idleSeconds) * windowSeconds) / confirmedNow) * 10) / 10,
        sessionsOpened: d.sessions,
        activeMsPerOrder: Math.round((d.activeMs / confirmedNow) * 100) / 100,
      }]));
      const otherProcessesPercent = Object.entries(cpu).filter(([g]) => g.startsWith('other: ')).reduce((sum, [, v]) => sum + v, 0);
      if (otherProcessesPercent > 25) log(`  note: processes outside the platform used ${otherProcessesPercent}% of one core during this step: the machine was shared.`);
      return {
        label,
        offeredRate: rate,
        seconds: SETTINGS.stepSeconds,
        sent: ids.length + Object.values(rejected).reduce((a, b) => a + b, 0),
        accepted: ids.length,
        rejected,
        confirmed: confirmed.length,
        cancelled,
        unsettled,
        confirmedPerSecond,
        confirmLatencyMs: latency,
        postLatencyMs: percentiles(postLatencies),
        drainMs,
        commits: { measured, idle: Math.round(idle), windowSeconds, perConfirmedOrder: confirmedNow ? (measured - idle) / confirmedNow : Number.NaN },
        byDatabase,
        otherProcessesPercent,
        cpuPercentOfOneCore: cpu,
        cpuWindowSeconds: (cpu1.at - cpu0.at) / 1000,
        hopsMs: hopBreakdown(w, confirmed),
      };
    };

    const steps: Step[] = [];
    let best = 0;
    for (const rate of SETTINGS.rates) {
      const step = await runStep(rate, `step ${steps.length + 1}`);
      steps.push(step);
      const grew = step.confirmedPerSecond > best * SETTINGS.growthToContinue;
      best = Math.max(best, step.confirmedPerSecond);
      if (!grew) {
        log(`  confirmed throughput grew by less than ${Math.round((SETTINGS.growthToContinue - 1) * 100)}%: the plateau is reached.`);
        break;
      }
      if (step.confirmLatencyMs.p99 > SETTINGS.p99StopMs || step.unsettled > 0) {
        log(`  p99 above ${SETTINGS.p99StopMs / 1000} s or orders left unsettled: stopping the rise.`);
        break;
      }
    }
    const plateauStep = steps.reduce((a, b) => (b.confirmedPerSecond > a.confirmedPerSecond ? b : a));
    const plateau = plateauStep.confirmedPerSecond;
    const halfRate = Math.max(1, Math.round(plateau / 2));
    const half = await runStep(halfRate, 'half the plateau');
    const commitsPerOrder = half.commits.perConfirmedOrder;
    const windowStats = { idleCommits, idleSeconds, idleCommitsPerSecond: idlePerSecond, byDatabase: Object.fromEntries(idleDelta) };

    log('Stopping the platform before pgbench, so its pollers do not share the machine…');
    await http.close();
    http = undefined;
    await watcher.close();
    watcher = undefined;
    await platform.stop();
    platform = undefined;

    const perScript = Math.max(1, Math.round(commitsPerOrder));
    const scratch = `${prefix}_pgbench`;
    const adminDb = new pg.Client({ connectionString: DATABASE_URL });
    await adminDb.connect();
    await adminDb.query(`CREATE DATABASE "${scratch}"`);
    await adminDb.end();
    const db = new pg.Client({ connectionString: DATABASE_URL.replace(/\/postgres$/, `/${scratch}`) });
    await db.connect();
    await db.query(`CREATE TABLE docs (id uuid PRIMARY KEY, kind text NOT NULL, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE rows (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO rows (id) SELECT generate_series(1, 100000);`);
    await db.end();
    const envelope = JSON.stringify({ specversion: '1.0', type: 'bench.order', source: 'bench', data: { orderId: randomUUID(), items: [{ productId: randomUUID(), quantity: 2, unitPrice: { amount: 1299, currency: 'USD' } }], total: { amount: 2598, currency: 'USD' } } });
    const tx = `\\set id random(1, 100000)\nBEGIN;\nINSERT INTO docs (id, kind, body) VALUES (gen_random_uuid(), 'bench', '${envelope}');\nUPDATE rows SET n = n + 1, updated_at = now() WHERE id = :id;\nCOMMIT;\n`;
    await writeFile(join(dir, 'order.sql'), tx.repeat(perScript));
    const pb = SETTINGS.pgbench;
    log(`pgbench: ${perScript} transactions per script run (an INSERT with jsonb and an UPDATE each), -c ${pb.clients} -j ${pb.threads} -T ${pb.seconds}…`);
    const { stdout } = await run('pgbench', ['-n', '-h', '127.0.0.1', '-U', 'postgres', '-c', String(pb.clients), '-j', String(pb.threads), '-T', String(pb.seconds), '-f', join(dir, 'order.sql'), scratch], { maxBuffer: 1 << 20 });
    const scriptTps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const commitTps = scriptTps * perScript;
    const ceilingOrdersPerSecond = commitTps / commitsPerOrder;
    const shareOfCeiling = (plateau * commitsPerOrder) / commitTps;
    const shareOfCeilingAtPlateauCommits = (plateau * plateauStep.commits.perConfirmedOrder) / commitTps;

    const rows = [...steps, half].map((s) => ({
      step: s.label,
      'offered /s': s.offeredRate,
      accepted: s.accepted,
      rejected: Object.values(s.rejected).reduce((a, b) => a + b, 0),
      'confirmed /s': Math.round(s.confirmedPerSecond * 10) / 10,
      cancelled: s.cancelled,
      unsettled: s.unsettled,
      'p50 ms': Math.round(s.confirmLatencyMs.p50),
      'p99 ms': Math.round(s.confirmLatencyMs.p99),
      'POST p99 ms': Math.round(s.postLatencyMs.p99),
      'commits/order': Math.round(s.commits.perConfirmedOrder * 10) / 10,
      'CPU % (machine)': s.cpuPercentOfOneCore['machine (all cores)'] ?? 0,
      'CPU % (not ours)': s.otherProcessesPercent,
    }));
    const summary = {
      plateauOrdersPerSecond: plateau,
      plateauOfferedRate: plateauStep.offeredRate,
      halfPlateauRate: halfRate,
      halfPlateauP50Ms: half.confirmLatencyMs.p50,
      halfPlateauP99Ms: half.confirmLatencyMs.p99,
      commitsPerOrder,
      commitsPerOrderNote: 'sum(xact_commit) over the platform\'s databases across the half-plateau step (load, drain and 11 s for the statistics to flush), minus the idle pollers\' rate over the same window, divided by the confirmed orders; read-only transactions count too',
      pgbenchTransactionsPerScript: perScript,
      pgbenchScriptTps: scriptTps,
      pgbenchCommitTps: commitTps,
      ceilingOrdersPerSecond,
      shareOfCeiling,
      plateauCommitsPerOrder: plateauStep.commits.perConfirmedOrder,
      shareOfCeilingAtPlateauCommits,
      targets: SETTINGS.targets,
      halfPlateauP99Met: half.confirmLatencyMs.p99 < SETTINGS.targets.halfPlateauP99Ms,
      shareOfCeilingMet: shareOfCeiling >= SETTINGS.targets.shareOfCeiling,
    };
    process.stdout.write(`\n${table(rows)}\n\n`);
    process.stdout.write(`Idle pollers: ${idleCommits} commits in ${Math.round(idleSeconds)} s (${idlePerSecond.toFixed(1)}/s), subtracted from each step's commits over its window.\n\n`);
    process.stdout.write(`${table([{
      'plateau orders/s': Math.round(plateau * 10) / 10,
      [`p50 / p99 at ${halfRate}/s (ms)`]: `${Math.round(half.confirmLatencyMs.p50)} / ${Math.round(half.confirmLatencyMs.p99)}`,
      'target p99 <': SETTINGS.targets.halfPlateauP99Ms,
      'commits/order': Math.round(commitsPerOrder * 10) / 10,
      'pgbench commits/s': Math.round(commitTps),
      'ceiling orders/s': Math.round(ceilingOrdersPerSecond),
      'share of ceiling': Math.round(shareOfCeiling * 1000) / 1000,
      'target ≥': SETTINGS.targets.shareOfCeiling,
    }])}\n`);
    process.stdout.write(`Commits per order fall under load (relays and the payment worker batch): at the plateau step ${plateauStep.commits.perConfirmedOrder.toFixed(1)}, so the database did ${Math.round(plateau * plateauStep.commits.perConfirmedOrder)} commits/s there, ${shareOfCeilingAtPlateauCommits.toFixed(2)} of pgbench's.\n\n`);
    process.stdout.write(`Where the time goes at ${halfRate}/s (gap from the previous saga message, as seen on the broker):\n${table(half.hopsMs.map((h) => ({ hop: h.hop, 'work done by': h.by, 'p50 ms': h.p50, 'p99 ms': h.p99 })))}\n\n`);
    const cpuRows = [...new Set([...Object.keys(plateauStep.cpuPercentOfOneCore), ...Object.keys(half.cpuPercentOfOneCore)])]
      .filter((group) => !group.startsWith('other: ') || Math.max(plateauStep.cpuPercentOfOneCore[group] ?? 0, half.cpuPercentOfOneCore[group] ?? 0) >= 2)
      .map((group) => {
        const row: Record<string, string | number> = { process: group };
        for (const s of [half, plateauStep]) {
          const pct = s.cpuPercentOfOneCore[group] ?? 0;
          row[`% core at ${s.offeredRate}/s`] = pct;
          if (!group.startsWith('machine capacity')) row[`ms/order at ${s.offeredRate}/s`] = Math.round(((pct / 100) * s.cpuWindowSeconds * 1000) / s.confirmed * 10) / 10;
        }
        return row;
      });
    process.stdout.write(`CPU by process over each step's load and drain (% of one core, and CPU ms per confirmed order):\n${table(cpuRows)}\n\n`);
    process.stdout.write(`Per service database at ${halfRate}/s:\n${table(Object.entries(half.byDatabase).map(([db, d]) => ({ database: db, 'commits/order': d.commitsPerOrder, 'statement ms/order': d.activeMsPerOrder, 'sessions opened': d.sessionsOpened })))}\n`);
    if (warningCount) process.stdout.write(`\nThe services logged ${warningCount} lines at warn or above; the first and the last:\n${(warnings.length > 10 ? [warnings[0]!, '…', ...warnings.slice(-9)] : warnings).join('\n')}\n`);

    const out = join(HERE, 'results');
    await mkdir(out, { recursive: true });
    const name = REPLICAS === '1' ? 'checkout' : 'checkout.replicas';
    await writeFile(join(out, `${name}.json`), `${JSON.stringify({ benchmark: 'checkout', machine: machine(), settings: SETTINGS, idle: windowStats, steps, halfPlateau: half, pgbench: { transactionsPerScript: perScript, scriptTps, commitTps, ...SETTINGS.pgbench }, summary, serviceLogLines: { count: warningCount, first: warnings } }, null, 2)}\n`);
    await writeFile(join(out, `${name}.svg`), lineChart({
      title: `Checkout in distributed mode: confirmed orders/s and p99 (POST → confirmed)`,
      xLabel: 'offered orders per second (open loop, 15 s each)',
      labels: steps.map((s) => String(s.offeredRate)),
      left: { unit: 'orders per second' },
      right: { unit: 'p99 milliseconds', log: true },
      series: [
        { name: 'confirmed orders/s', values: steps.map((s) => s.confirmedPerSecond), axis: 'left' },
        { name: 'offered orders/s', values: steps.map((s) => s.offeredRate), axis: 'left', dashed: true },
        { name: 'p99 latency (ms)', values: steps.map((s) => s.confirmLatencyMs.p99), axis: 'right' },
      ],
      note: `plateau ${plateau.toFixed(1)}/s; at ${halfRate}/s p99 ${Math.round(half.confirmLatencyMs.p99)} ms · REPLICAS=${REPLICAS} · ${machine().cpus} cores shared by ${processCount} processes, PostgreSQL and NATS · ${new Date().toISOString().slice(0, 10)}`,
    }));
    log(`Wrote ${join(out, `${name}.json`)} and ${name}.svg`);
  } catch (err) {
    if (warnings.length) log(`The services' last warnings (${warningCount} lines in all):\n${warnings.slice(-15).join('\n')}`);
    throw err;
  } finally {
    await cleanup();
  }
}

await main();
process.exit(0);
