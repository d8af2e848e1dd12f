import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildService, createMetrics, type BuiltService, type ServiceMetrics } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import type { Instance } from '../src/console/instances.ts';
import { checkInstance, serviceStatus } from '../src/console/instances.ts';
import { counterDelta, histogramQuantile, parsePrometheus, REQUEST_HISTOGRAM, requestCounters, Ring, servicePoint, sumCounters, type Buckets } from '../src/console/metrics.ts';
import { MetricsSampler } from '../src/console/sampler.ts';
import gateway from '../src/service.ts';
import { json, StubService, unreachableUrl } from './stub-service.ts';

/** Cumulative buckets from [upper bound, count] pairs. */
const buckets = (...pairs: Array<[number, number]>): Buckets => pairs.map(([le, count]) => ({ le, count }));

describe('reading the Prometheus text format', () => {
  it('reads names, labels (with escapes), special values and timestamps, and skips comments and malformed lines', () => {
    const text = [
      '# HELP up Whether it is up',
      '# TYPE up gauge',
      'up 1',
      '',
      'odd_name:total{a="x",b="say \\"hi\\"\\nback\\\\slash"} 42 1700000000000',
      'spaced { a = "1" , } +Inf',
      'minus{} -Inf',
      'nan NaN',
      'sci 1.5e-3',
      'broken{a="unterminated} 1',
      'novalue{a="1"}',
      '{a="1"} 3',
    ].join('\n');
    expect(parsePrometheus(text)).toEqual([
      { name: 'up', labels: {}, value: 1 },
      { name: 'odd_name:total', labels: { a: 'x', b: 'say "hi"\nback\\slash' }, value: 42 },
      { name: 'spaced', labels: { a: '1' }, value: Infinity },
      { name: 'minus', labels: {}, value: -Infinity },
      { name: 'nan', labels: {}, value: NaN },
      { name: 'sci', labels: {}, value: 0.0015 },
    ]);
  });

  it('keeps only the metrics under a prefix when asked', () => {
    expect(parsePrometheus('a_total 1\nb_total 2\na_other 3', 'a_').map((s) => s.name)).toEqual(['a_total', 'a_other']);
  });

  it("reads a service's own /metrics (prom-client's output) into request counters, leaving probes and 4xx out of the errors", async () => {
    const metrics = createMetrics('catalog');
    const observe = (route: string, status: number, seconds: number) => metrics.httpDuration.observe({ method: 'GET', route, status_code: status }, seconds);
    observe('/products', 200, 0.003);
    observe('/products', 200, 0.04);
    observe('/products/:id', 404, 0.002);
    observe('/products/:id', 503, 0.7);
    // Probes and scrapes are not traffic.
    observe('/health/ready', 200, 0.001);
    observe('/metrics', 200, 0.001);
    const counters = requestCounters(parsePrometheus(await metrics.registry.metrics(), REQUEST_HISTOGRAM));
    expect(counters.count).toBe(4);
    expect(counters.errors).toBe(1);
    const at = (le: number) => counters.buckets.find((b) => b.le === le)?.count;
    expect(at(0.0025)).toBe(1);
    expect(at(0.005)).toBe(2);
    expect(at(0.05)).toBe(3);
    expect(at(1)).toBe(4);
    expect(at(Infinity)).toBe(4);
    expect(counters.buckets.map((b) => b.le)).toEqual([...counters.buckets.map((b) => b.le)].sort((a, b) => a - b));
  });
});

describe('p99 from histogram buckets', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile does', () => {
    // 50 requests under 100 ms, 50 between 100 and 200 ms: rank 99 lies 49/50 into the second bucket.
    expect(histogramQuantile(0.99, buckets([0.1, 50], [0.2, 100], [Infinity, 100]))).toBeCloseTo(0.198, 10);
    expect(histogramQuantile(0.5, buckets([0.1, 50], [0.2, 100], [Infinity, 100]))).toBeCloseTo(0.1, 10);
    // The first bucket starts at zero.
    expect(histogramQuantile(0.5, buckets([0.01, 10], [Infinity, 10]))).toBeCloseTo(0.005, 10);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and null without an observation', () => {
    expect(histogramQuantile(0.99, buckets([0.1, 10], [1, 50], [Infinity, 100]))).toBe(1);
    expect(histogramQuantile(0.99, buckets([0.1, 0], [Infinity, 0]))).toBeNull();
    expect(histogramQuantile(0.99, [])).toBeNull();
  });

  it('skips empty buckets rather than dividing by zero', () => {
    expect(histogramQuantile(0.99, buckets([0.005, 100], [0.01, 100], [Infinity, 100]))).toBeCloseTo(0.00495, 10);
  });
});

describe('changes between scrapes', () => {
  const before = { count: 10, errors: 1, buckets: buckets([0.1, 8], [Infinity, 10]) };

  it('subtracts the earlier counters, bucket by bucket', () => {
    const after = { count: 30, errors: 3, buckets: buckets([0.1, 20], [Infinity, 30]) };
    expect(counterDelta(before, after)).toEqual({ count: 20, errors: 2, buckets: buckets([0.1, 12], [Infinity, 20]) });
  });

  it('takes an instance that restarted (counters went down) as starting from zero', () => {
    const restarted = { count: 4, errors: 0, buckets: buckets([0.1, 4], [Infinity, 4]) };
    expect(counterDelta(before, restarted)).toEqual(restarted);
  });

  it('sums instances, and makes a point: rates added, error share and p99 over the sum', () => {
    const a = { count: 100, errors: 0, buckets: buckets([0.1, 100], [0.2, 100], [Infinity, 100]) };
    const b = { count: 100, errors: 10, buckets: buckets([0.1, 0], [0.2, 100], [Infinity, 100]) };
    expect(sumCounters([a, b])).toEqual({ count: 200, errors: 10, buckets: buckets([0.1, 100], [0.2, 200], [Infinity, 200]) });
    const point = servicePoint(1_000, [
      { delta: a, seconds: 2 },
      { delta: b, seconds: 4 },
    ]);
    expect(point).toEqual({ t: 1_000, rps: 75, errorRate: 0.05, p99Ms: 198 });
  });

  it('makes a point without values when nothing was seen, and without error share or p99 when idle', () => {
    expect(servicePoint(5, [])).toEqual({ t: 5, rps: null, errorRate: null, p99Ms: null });
    const idle = { count: 0, errors: 0, buckets: buckets([0.1, 0], [Infinity, 0]) };
    expect(servicePoint(5, [{ delta: idle, seconds: 2 }])).toEqual({ t: 5, rps: 0, errorRate: null, p99Ms: null });
  });

  it('keeps the newest items in a ring, oldest first', () => {
    const ring = new Ring<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (const n of [1, 2]) ring.push(n);
    expect(ring.toArray()).toEqual([1, 2]);
    for (const n of [3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.length).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe('instance health', () => {
  const instance = (fetch: Instance['fetch']): Instance => ({ service: 'catalog', url: 'http://catalog', fetch });

  it('reads ok, failing with its failing checks, and down', async () => {
    const ok = await checkInstance(instance(async () => ({ status: 200, text: '{"status":"ok","checks":{"database":{"status":"ok"}}}' })), 100);
    expect(ok).toMatchObject({ url: 'http://catalog', status: 'ok', failing: [], error: null });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);

    const problem = { status: 503, detail: 'Failing: broker.', checks: { database: { status: 'ok' }, broker: { status: 'failing', error: 'no connection' } } };
    const failing = await checkInstance(instance(async () => ({ status: 503, text: JSON.stringify(problem) })), 100);
    expect(failing).toMatchObject({ status: 'failing', failing: [{ check: 'broker', error: 'no connection' }], error: 'Failing: broker.' });

    const odd = await checkInstance(instance(async () => ({ status: 404, text: 'not json' })), 100);
    expect(odd).toMatchObject({ status: 'failing', error: 'answered 404' });

    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const down = await checkInstance(instance(async () => Promise.reject(timeout)), 100);
    expect(down).toEqual({ url: 'http://catalog', status: 'down', latencyMs: null, failing: [], error: 'no answer within 100 ms' });
  });

  it('rolls instances up into a service status', () => {
    expect(serviceStatus([{ status: 'ok' }, { status: 'ok' }])).toBe('ok');
    expect(serviceStatus([{ status: 'ok' }, { status: 'down' }])).toBe('degraded');
    expect(serviceStatus([{ status: 'failing' }, { status: 'down' }])).toBe('down');
  });
});

describe('the metrics sampler', () => {
  afterEach(() => void vi.useRealTimers());

  /** An instance whose /metrics is a real registry, and a count of its scrapes. */
  const fakeInstance = (service: string) => {
    const metrics = createMetrics(service);
    const state = { scrapes: 0, up: true };
    const instance: Instance = {
      service,
      url: `http://${service}`,
      fetch: async () => {
        state.scrapes += 1;
        if (!state.up) throw new Error('connection refused');
        return { status: 200, text: await metrics.registry.metrics() };
      },
    };
    return { instance, metrics, state };
  };
  const serve = (metrics: ServiceMetrics, n: number, status = 200, seconds = 0.02) => {
    for (let i = 0; i < n; i++) metrics.httpDuration.observe({ method: 'GET', route: '/x', status_code: status }, seconds);
  };

  it('scrapes only while watched: a baseline at once, a point per interval, and nothing once idle', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const a = fakeInstance('catalog');
    const sampler = new MetricsSampler([a.instance], { intervalMs: 2_000, windowMs: 10_000, idleMs: 6_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(a.state.scrapes).toBe(0);

    sampler.watch();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.state.scrapes).toBe(1);
    expect(sampler.snapshot()).toEqual({ catalog: [] });

    serve(a.metrics, 18);
    serve(a.metrics, 2, 500);
    await vi.advanceTimersByTimeAsync(2_000);
    const [point] = sampler.snapshot().catalog!;
    expect(point).toEqual({ t: 1_012_000, rps: 10, errorRate: 0.1, p99Ms: expect.any(Number) });
    expect(point!.p99Ms).toBeGreaterThan(10);
    expect(point!.p99Ms).toBeLessThanOrEqual(25);
    expect(sampler.snapshot(point!.t)).toEqual({ catalog: [] });

    // Watched again within idleMs, it goes on; the window keeps windowMs / intervalMs points.
    await vi.advanceTimersByTimeAsync(2_000 * 2);
    sampler.watch();
    await vi.advanceTimersByTimeAsync(2_000 * 3);
    expect(sampler.running).toBe(true);
    expect(sampler.snapshot().catalog!.map((p) => p.t)).toEqual([1_014_000, 1_016_000, 1_018_000, 1_020_000, 1_022_000]);

    // Without a watch for idleMs it stops, and forgets.
    const scrapes = a.state.scrapes;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sampler.running).toBe(false);
    expect(a.state.scrapes).toBe(scrapes);
    expect(sampler.snapshot()).toEqual({ catalog: [] });
  });

  it('sums the instances of a service and leaves a gap when none answers', async () => {
    vi.useFakeTimers({ now: 0 });
    const one = fakeInstance('orders');
    const two = fakeInstance('orders');
    const sampler = new MetricsSampler([one.instance, two.instance], { intervalMs: 1_000, windowMs: 60_000, idleMs: 60_000 });
    sampler.watch();
    await vi.advanceTimersByTimeAsync(0);
    serve(one.metrics, 3);
    serve(two.metrics, 5);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.snapshot().orders!.at(-1)).toMatchObject({ rps: 8, errorRate: 0 });

    one.state.up = false;
    serve(two.metrics, 2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.snapshot().orders!.at(-1)).toMatchObject({ rps: 2 });

    two.state.up = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.snapshot().orders!.at(-1)).toMatchObject({ rps: null, errorRate: null, p99Ms: null });
    sampler.stop();
  });
});

/** A server that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('the console routes', () => {
  let tokens: TestTokens;
  let admin: { authorization: string };
  let gw: BuiltService;
  let catalogA: StubService;
  let catalogB: StubService;
  let inventory: StubService;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const catalogMetrics = [createMetrics('catalog'), createMetrics('catalog')];
  let catalogBReady = true;

  beforeAll(async () => {
    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    [catalogA, catalogB, inventory] = await Promise.all([new StubService().start(), new StubService().start(), new StubService().start()]);
    silent = await silentServer();
    const stub = (service: StubService, metrics: ServiceMetrics, ready: () => boolean) => {
      service.handler = (req, res) => {
        if (req.url === '/metrics') {
          void metrics.registry.metrics().then((text) => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(text);
          });
        } else if (req.url === '/health/ready') {
          if (ready()) json(res, 200, { status: 'ok', checks: { database: { status: 'ok' } } });
          else json(res, 503, { status: 503, detail: 'Failing: database.', checks: { database: { status: 'failing', error: 'connection lost' } } });
        } else json(res, 500, { title: 'boom' });
      };
    };
    stub(catalogA, catalogMetrics[0]!, () => true);
    stub(catalogB, catalogMetrics[1]!, () => catalogBReady);
    stub(inventory, createMetrics('inventory'), () => false);
    const nowhere = await unreachableUrl();
    gw = await buildService(gateway, {
      source: {
        LOG_LEVEL: 'silent',
        IDENTITY_URL: nowhere,
        CATALOG_URL: `${catalogA.url},${catalogB.url}`,
        INVENTORY_URL: inventory.url,
        CART_URL: silent.url,
        ORDERS_URL: nowhere,
        PAYMENTS_URL: nowhere,
        SHIPPING_URL: nowhere,
        NOTIFICATIONS_URL: nowhere,
        RECOMMENDATIONS_URL: nowhere,
        CONSOLE_PROBE_TIMEOUT_MS: '300',
        CONSOLE_SAMPLE_MS: '150',
        UPSTREAM_TIMEOUT_MS: '500',
      },
      verifier: tokens.verifier,
    });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([catalogA.stop(), catalogB.stop(), inventory.stop(), silent.close()]);
  });

  it('refuses anonymous callers with 401 and customers with 403, as problem+json', async () => {
    const customer = await tokens.auth();
    for (const url of ['/api/v1/ops/services', '/api/v1/ops/metrics', '/api/v1/ops/breakers']) {
      const anonymous = await gw.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toContain('application/problem+json');
      const refused = await gw.app.inject({ method: 'GET', url, headers: customer });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    }
  });

  it('lists every service and instance with its readiness; a silent or refusing instance is down, never a 5xx', async () => {
    catalogBReady = false;
    const started = Date.now();
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/services', headers: admin });
    // Every instance is asked in parallel: the silent one costs one timeout, not one per instance.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.statusCode).toBe(200);
    const { services } = res.json() as { services: Array<{ name: string; status: string; instances: Array<Record<string, unknown>> }> };
    expect(services.map((s) => s.name)).toEqual(['gateway', 'identity', 'catalog', 'inventory', 'cart', 'orders', 'payments', 'shipping', 'notifications', 'recommendations']);
    const byName = Object.fromEntries(services.map((s) => [s.name, s]));
    expect(byName.gateway).toMatchObject({ status: 'ok', instances: [{ status: 'ok', error: null }] });
    expect(byName.catalog!.status).toBe('degraded');
    expect(byName.catalog!.instances).toEqual([
      { url: catalogA.url, status: 'ok', latencyMs: expect.any(Number), failing: [], error: null },
      { url: catalogB.url, status: 'failing', latencyMs: expect.any(Number), failing: [{ check: 'database', error: 'connection lost' }], error: 'Failing: database.' },
    ]);
    expect(byName.inventory).toMatchObject({ status: 'down', instances: [{ status: 'failing' }] });
    expect(byName.cart).toMatchObject({ status: 'down', instances: [{ url: silent.url, status: 'down', latencyMs: null, error: 'no answer within 300 ms' }] });
    expect(byName.orders).toMatchObject({ status: 'down', instances: [{ status: 'down', error: 'connection refused' }] });
    catalogBReady = true;
  });

  it('scrapes nothing until the live series are asked for, then serves them per service', async () => {
    // Nothing scraped /metrics before anyone asked.
    expect([...catalogA.calls, ...catalogB.calls, ...inventory.calls].filter((c) => c.url === '/metrics')).toEqual([]);
    const first = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/metrics', headers: admin });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ intervalMs: 150, windowMs: 300_000 });
    expect(Object.keys(first.json().services)).toEqual(expect.arrayContaining(['gateway', 'catalog', 'inventory', 'cart']));

    // Wait for the baseline, then serve traffic on both catalog instances, a quarter of it 5xx. (The
    // same mix on each, so that a round that reads one instance before and one after still sees it.)
    await vi.waitFor(() => expect(catalogA.calls.some((c) => c.url === '/metrics')).toBe(true));
    await new Promise((r) => setTimeout(r, 200));
    for (const metrics of catalogMetrics) {
      for (let i = 0; i < 30; i++) metrics.httpDuration.observe({ method: 'GET', route: '/products', status_code: 200 }, 0.004);
      for (let i = 0; i < 10; i++) metrics.httpDuration.observe({ method: 'GET', route: '/products', status_code: 503 }, 0.004);
    }
    const busy = await vi.waitFor(async () => {
      const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/metrics', headers: admin });
      const point = (res.json().services.catalog as Array<{ rps: number | null; errorRate: number | null; p99Ms: number | null }>).find((p) => (p.rps ?? 0) > 0);
      expect(point).toBeDefined();
      return point!;
    }, { timeout: 3_000, interval: 50 });
    expect(busy).toMatchObject({ errorRate: 0.25 });
    // Every request took 4 ms: the p99 lies in the (2.5, 5] ms bucket.
    expect(busy.p99Ms).toBeGreaterThan(2.5);
    expect(busy.p99Ms).toBeLessThanOrEqual(5);

    // A service with no answering instance has points without values; `since` returns only newer points.
    const all = (await gw.app.inject({ method: 'GET', url: '/api/v1/ops/metrics', headers: admin })).json();
    expect(all.services.orders.at(-1)).toMatchObject({ rps: null, errorRate: null, p99Ms: null });
    const last = all.services.catalog.at(-1).t as number;
    const since = await gw.app.inject({ method: 'GET', url: `/api/v1/ops/metrics?since=${last}`, headers: admin });
    expect(since.json().services.catalog.every((p: { t: number }) => p.t > last)).toBe(true);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/metrics?since=soon', headers: admin })).statusCode).toBe(400);
  });

  it("shows each client's breaker by service and purpose, and an open one once a service keeps failing", async () => {
    const before = (await gw.app.inject({ method: 'GET', url: '/api/v1/ops/breakers', headers: admin })).json();
    const purposes = (service: string) => before.data.find((d: { service: string }) => d.service === service).clients.map((c: { purpose: string }) => c.purpose);
    expect(purposes('catalog')).toEqual(['proxy', 'event-streams', 'ops']);
    expect(purposes('orders')).toEqual(['proxy', 'event-streams', 'dashboard', 'ops']);
    expect(before.data.every((d: { clients: Array<{ state: string }> }) => d.clients.every((c) => c.state === 'closed'))).toBe(true);

    // The catalog stand-ins answer 500 to anything but probes: the proxy's breaker opens.
    for (let i = 0; i < 8; i++) await gw.app.inject({ method: 'GET', url: '/api/v1/products' });
    const after = (await gw.app.inject({ method: 'GET', url: '/api/v1/ops/breakers', headers: admin })).json();
    expect(after.data.find((d: { service: string }) => d.service === 'catalog').clients).toEqual([
      { purpose: 'proxy', state: 'open' },
      { purpose: 'event-streams', state: 'closed' },
      { purpose: 'ops', state: 'closed' },
    ]);
  });
});
