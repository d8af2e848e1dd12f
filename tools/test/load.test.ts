import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedPlatform } from '../src/embedded.ts';
import { loadChart } from '../src/load/chart.ts';
import { runLoad, LoadSetupError, type LoadReport, type LoadSnapshot } from '../src/load/load.ts';
import { DEFAULT_MIX, LoadOptionsError, parseLoadArgs, resolveOptions, type LoadOptions } from '../src/load/options.ts';
import { pickWeighted, poissonArrivals, prng, runArrivals, type Clock } from '../src/load/schedule.ts';
import { FINAL_STATUSES, stageProbabilities } from '../src/load/shop.ts';
import { percentile, Recorder, Samples } from '../src/load/stats.ts';
import { ROOT } from '../src/processes.ts';
import { seedDemo } from '../src/seed/seed.ts';

/** A simulated clock: sleeping moves time on at once, by `overshootMs` more than asked. */
class FakeClock implements Clock {
  t = 0;
  constructor(readonly overshootMs = 0) {}
  now() {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal) {
    if (!signal?.aborted) this.t += ms + this.overshootMs;
  }
}

/** Tags balanced, attributes quoted, no stray `<` or `&`: enough to know a browser will draw it. */
function wellFormedXml(text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(chunk)) problems.push(`a bare & near ${JSON.stringify(chunk.slice(0, 40))}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) {
      problems.push(`a malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 60))}`);
      break;
    }
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) problems.push(`</${name}> closes nothing open at ${lt}`);
    } else if (!selfClosing) stack.push(name!);
    i = tag.lastIndex;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('the arrival schedule', () => {
  it('is a Poisson process at the given rate: seeded, its count within 3% over a simulated 2,000 s', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const count = await runArrivals({ arrivals: poissonArrivals(5, prng(42)), clock, endMs: 2_000_000, onArrival: (_i, _due, late) => {
      times.push(clock.now());
      expect(late).toBeLessThan(1e-6);
    } });
    // The window lasts until its end, even after its last arrival.
    expect(clock.now()).toBeCloseTo(2_000_000, 3);
    // 10,000 expected; the standard deviation of a Poisson count is its square root (100).
    expect(count).toBeGreaterThan(9_700);
    expect(count).toBeLessThan(10_300);
    // Each arrival starts at its time on the clock, and every 100 s window gets its share.
    const windows = new Array<number>(20).fill(0);
    for (const t of times) windows[Math.floor(t / 100_000)]!++;
    for (const w of windows) expect(Math.abs(w - 500)).toBeLessThan(100);
    // Exponential gaps: their coefficient of variation is 1 (a fixed rate would give 0).
    const gaps = times.slice(1).map((t, k) => t - times[k]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(190);
    expect(mean).toBeLessThan(210);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });

  it('gives the same arrivals for the same seed, other ones for another', () => {
    const take = (seed: number) => {
      const it = poissonArrivals(3, prng(seed));
      return Array.from({ length: 50 }, () => it.next().value);
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('is an open loop: a late clock starts every arrival that is due at once, told how late, and never waits on the work', async () => {
    const clock = new FakeClock(1_000);
    const late: number[] = [];
    const count = await runArrivals({ arrivals: poissonArrivals(10, prng(1)), clock, endMs: 60_000, onArrival: (_i, _due, lateMs) => void late.push(lateMs) });
    expect(count).toBeGreaterThan(500);
    expect(late.filter((l) => l > 0).length).toBeGreaterThan(count / 2);
    expect(Math.max(...late)).toBeLessThanOrEqual(1_000);
  });

  it('stops when its signal aborts', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const count = await runArrivals({ arrivals: poissonArrivals(10, prng(1)), clock, endMs: 60_000, signal: stop.signal, onArrival: (i) => i === 9 && stop.abort() });
    expect(count).toBe(10);
  });

  it('draws weighted choices in proportion, and turns the mix into a funnel with the same proportions', () => {
    const random = prng(3);
    const counts: Record<string, number> = { approved: 0, declined: 0, insufficient: 0, timeout: 0 };
    for (let i = 0; i < 100_000; i++) counts[pickWeighted({ approved: 80, declined: 10, insufficient: 5, timeout: 5 }, random)]!++;
    expect(counts.approved! / 100_000).toBeCloseTo(0.8, 2);
    expect(counts.timeout! / 100_000).toBeCloseTo(0.05, 2);
    expect(pickWeighted({ a: 0, b: 1 }, () => 0)).toBe('b');

    const p = stageProbabilities(DEFAULT_MIX);
    expect(p).toEqual({ register: 0, browse: 1, search: 0.5, cart: 0.375, checkout: 0.375, cancel: 1 / 3, follow: 1 / 3 });
    // Expected runs per session of each action ∝ the mix.
    const perSession = { browse: p.browse, search: p.search, cart: p.cart, checkout: p.checkout, cancel: p.checkout * p.cancel, follow: p.checkout * p.follow };
    for (const [k, v] of Object.entries(perSession)) expect(v / perSession.browse).toBeCloseTo(DEFAULT_MIX[k as keyof typeof DEFAULT_MIX] / DEFAULT_MIX.browse, 10);
  });
});

describe('percentiles and the time series', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect([0.5, 0.9, 0.99, 1].map((q) => percentile(sorted, q))).toEqual([50, 90, 99, 100]);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
    const s = new Samples();
    for (let i = 1000; i >= 1; i--) s.push(i);
    expect([s.count, s.quantile(0.5), s.quantile(0.99), s.max()]).toEqual([1000, 500, 990, 1000]);
    s.push(5000);
    expect(s.max()).toBe(5000);
  });

  it('counts requests, errors by kind and p50/p99 per second and per action; aborted requests are not errors', () => {
    const r = new Recorder();
    r.sessionStarted(100);
    r.sessionStarted(900);
    r.sessionDropped(950);
    for (let i = 1; i <= 10; i++) r.record({ action: 'browse', atMs: 100 + i, latencyMs: i * 10, outcome: 'ok' });
    r.record({ action: 'checkout', atMs: 1_500, latencyMs: 300, outcome: 'http 503' });
    r.record({ action: 'checkout', atMs: 1_600, latencyMs: 100, outcome: 'ok' });
    r.record({ action: 'follow', atMs: 3_200, latencyMs: 10_000, outcome: 'timeout' });
    r.record({ action: 'follow', atMs: 3_300, latencyMs: 50, outcome: 'aborted' });
    r.sampleInFlight(999, 2);

    const series = r.series(5_000);
    expect(series.map((s) => s.second)).toEqual([0, 1, 2, 3, 4]);
    expect(series[0]).toEqual({ second: 0, sessionsStarted: 2, dropped: 1, requests: 10, ok: 10, errors: {}, p50Ms: 50, p99Ms: 100, inFlight: 2 });
    expect(series[1]).toMatchObject({ requests: 2, ok: 1, errors: { 'http 503': 1 }, p50Ms: 100, p99Ms: 300 });
    expect(series[2]).toMatchObject({ requests: 0, p50Ms: null, p99Ms: null, inFlight: null });
    expect(series[3]).toMatchObject({ requests: 1, errors: { timeout: 1 } });

    expect([r.requests, r.ok, r.aborted, r.errors]).toEqual([13, 11, 1, { 'http 503': 1, timeout: 1 }]);
    const summary = r.summary(['follow', 'browse', 'checkout']);
    expect(summary.map((a) => a.action)).toEqual(['follow', 'browse', 'checkout']);
    expect(summary[0]).toMatchObject({ count: 1, ok: 0, errors: 1, aborted: 1, errorsByKind: { timeout: 1 } });
    expect(summary[1]).toMatchObject({ count: 10, ok: 10, errors: 0, p50Ms: 50, p90Ms: 90, p99Ms: 100, maxMs: 100, meanMs: 55 });
    expect(summary[2]).toMatchObject({ count: 2, ok: 1, errors: 1, p50Ms: 100, maxMs: 300 });
  });

  it('draws a well-formed SVG, gaps and errors included, and an empty run too', () => {
    const svg = loadChart({
      title: 'Load on <test> & co',
      targetRate: 3,
      series: [
        { second: 0, sessionsStarted: 3, dropped: 0, requests: 10, ok: 10, errors: {}, p50Ms: 12, p99Ms: 80, inFlight: 2 },
        { second: 1, sessionsStarted: 2, dropped: 1, requests: 0, ok: 0, errors: {}, p50Ms: null, p99Ms: null, inFlight: 3 },
        { second: 2, sessionsStarted: 4, dropped: 0, requests: 12, ok: 9, errors: { 'http 503': 2, timeout: 1 }, p50Ms: 15, p99Ms: 9000, inFlight: 1 },
      ],
    });
    expect(wellFormedXml(svg)).toEqual([]);
    expect(svg).toContain('http 503');
    expect(svg).toContain('&lt;test&gt; &amp; co');
    expect(wellFormedXml(loadChart({ title: 'empty', targetRate: 1, series: [] }))).toEqual([]);
  });
});

describe('options', () => {
  it('reads the command line into options, with seconds as milliseconds and weights as numbers', () => {
    const o = parseLoadArgs(['--url', 'http://127.0.0.1:9/api/v1/', '--rate', '5', '--duration', '60', '--max-requests', '100', '--mix', 'browse=40,search=20,cart=15,checkout=15,cancel=5,follow=5', '--cards', 'approved=80,declined=20', '--seed', '9', '--out', 'x/y', '--timeout', '2.5', '--admin-email', 'a@example.com', '--admin-password', 'secret123'], '/tmp') as LoadOptions;
    expect(o).toMatchObject({ rate: 5, durationSeconds: 60, maxRequests: 100, seed: 9, out: '/tmp/x/y', timeoutMs: 2500, mix: { register: 0, browse: 40, follow: 5 }, cards: { approved: 80, declined: 20, insufficient: 0, timeout: 0 }, admin: { email: 'a@example.com', password: 'secret123' } });
    const resolved = resolveOptions(o);
    expect(resolved.url).toBe('http://127.0.0.1:9');
    expect(resolved).toMatchObject({ shoppers: 8, maxSessions: 32, graceMs: 10_000 });
    expect(parseLoadArgs(['-h'])).toBe('help');
    expect(resolveOptions({ url: 'http://x' }).seed).toBeTypeOf('number');
  });

  it.each([
    [['--rate', '0'], /--rate must be a number from/],
    [['--rate', 'fast'], /--rate must be a number/],
    [['--duration', '-1'], /--duration/],
    [['--max-requests', '1.5'], /--max-requests must be an integer/],
    [['--mix', 'browse=x'], /not name=weight/],
    [['--mix', 'shop=1'], /unknown "shop"/],
    [['--mix', 'browse=1,browse=2'], /given twice/],
    [['--mix', 'checkout=10,cancel=8,follow=8'], /cannot exceed checkout/],
    [['--mix', 'cancel=0,follow=0'], /at least one weight/],
    [['--cards', 'approved=0'], /at least one weight/],
    [['--cards', 'gold=1'], /unknown "gold"/],
    [['--url', 'ftp://example.com'], /not an http/],
    [['--url', 'nowhere'], /not a URL/],
    [['--admin-email', 'a@example.com'], /go together/],
    [['--speed', '3'], /Unknown option '--speed'/],
    [['extra'], /positional/],
    [['--seed', '-4'], /--seed/],
  ])('refuses %j', (args, message) => {
    expect(() => parseLoadArgs(args)).toThrow(LoadOptionsError);
    expect(() => parseLoadArgs(args)).toThrow(message);
  });

  it('exits 2 with a message for a bad option, and prints the usage for --help', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}tools/src/load/main.ts`, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    const bad = run('--rate', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--rate must be');
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: npm run load');
  });

  it('refuses to run on an empty catalog and says to seed it', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [], pagination: { page: 1, limit: 100, total: 0, pages: 0 } })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const run = runLoad({ url, durationSeconds: 1 });
      await expect(run).rejects.toThrow(LoadSetupError);
      await expect(run).rejects.toThrow('seed the catalog first (npm start seeds it)');
    } finally {
      server.close();
    }
  });
});

describe('a short run against the embedded platform', () => {
  let platform: EmbeddedPlatform | undefined;
  const dirs: string[] = [];
  const tempDir = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), name));
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    platform = await startEmbedded({
      DATA_DIR: await tempDir('emporium-load-'),
      PORT: '0',
      SERVICE_PORT_BASE: '0',
      LOG_LEVEL: 'silent',
      PASSWORD_SCRYPT_LOG2N: '10',
      // The provider-timeout card settles in seconds rather than the default's.
      SAGA_STEP_TIMEOUT_MS: '1500',
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_USER: '1000000',
      REGISTER_MAX_PER_IP: '1000000',
    });
    await seedDemo(platform.gatewayUrl, () => {});
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs every action of the mix, places orders that all settle, reports them and writes load.json and load.svg', async () => {
    const out = await tempDir('emporium-load-out-');
    const progress: LoadSnapshot[] = [];
    const report = await runLoad({
      url: platform!.gatewayUrl,
      rate: 3,
      durationSeconds: 5,
      seed: 42,
      mix: { register: 2, browse: 10, search: 10, cart: 10, checkout: 10, cancel: 5, follow: 5 },
      cards: { approved: 60, declined: 20, insufficient: 10, timeout: 10 },
      shoppers: 3,
      thinkMs: 200,
      graceMs: 5_000,
      settleMs: 15_000,
      out,
      onProgress: (s) => void progress.push(s),
    });

    expect(report.stopReason).toBe('duration');
    expect(report.shoppers).toEqual({ pool: 3, registered: 3, reused: 0 });
    expect(report.sessions.started).toBeGreaterThan(3);
    expect(report.sessions.failed).toBe(0);
    expect(report.requests.total).toBeGreaterThan(20);
    for (const action of ['register', 'browse', 'product', 'search', 'cart', 'checkout', 'cancel', 'follow']) {
      const row = report.actions.find((a) => a.action === action);
      expect(row?.ok, action).toBeGreaterThan(0);
    }
    // Whatever the machine's speed, the generator's own requests are well formed.
    expect(Object.keys(report.requests.errors).filter((k) => k.startsWith('http 4'))).toEqual([]);

    // Orders: placed, every one settled, declined cards cancelled, accepted cancels cancelled.
    expect(report.orders.placed).toBeGreaterThan(2);
    expect(report.orders.list).toHaveLength(report.orders.placed);
    for (const o of report.orders.list) {
      expect(FINAL_STATUSES.has(o.status), `${o.id} (${o.card}) is ${o.status}`).toBe(true);
      if (o.card !== 'approved' || o.cancelRequested) expect(o.status, `${o.id} (${o.card})`).toBe('CANCELLED');
    }
    expect(report.orders.byStatus.CONFIRMED ?? 0).toBeGreaterThan(0);
    expect(report.orders.list.some((o) => o.followed)).toBe(true);

    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.some((p) => p.phase === 'running' && p.requests > 0)).toBe(true);

    const json = JSON.parse(await readFile(join(out, 'load.json'), 'utf8')) as LoadReport;
    expect(json.options).toMatchObject({ rate: 3, seed: 42, durationSeconds: 5 });
    expect(json.orders.list.map((o) => [o.id, o.card])).toEqual(report.orders.list.map((o) => [o.id, o.card]));
    expect(json.series.length).toBeGreaterThanOrEqual(5);
    expect(json.series.reduce((n, s) => n + s.requests, 0)).toBe(report.requests.total);
    expect(json.actions.map((a) => a.action)).toEqual(report.actions.map((a) => a.action));
    const svg = await readFile(join(out, 'load.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(wellFormedXml(svg)).toEqual([]);
  }, 40_000);

  it('stops after --max-requests, reusing the shoppers, and stops early, still reporting, when aborted', async () => {
    const capped = await runLoad({ url: platform!.gatewayUrl, rate: 20, durationSeconds: 30, maxRequests: 15, seed: 1, shoppers: 3, thinkMs: 0, graceMs: 5_000, settleMs: 0 });
    expect(capped.stopReason).toBe('max-requests');
    expect(capped.requests.total + capped.requests.aborted).toBe(15);
    expect(capped.shoppers).toEqual({ pool: 3, registered: 0, reused: 3 });
    expect(capped.files).toEqual({ json: null, svg: null });

    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1_000);
    const aborted = await runLoad({ url: platform!.gatewayUrl, rate: 2, durationSeconds: 600, seed: 2, shoppers: 3, graceMs: 2_000, settleMs: 0, signal: stop.signal });
    expect(aborted.stopReason).toBe('aborted');
    expect(aborted.elapsedSeconds).toBeLessThan(30);
    expect(aborted.series.length).toBeLessThan(30);
  }, 40_000);
});
