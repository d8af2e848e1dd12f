import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildService, createLogger, type BuiltService, type TraceSpan, type TraceSummary } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import { fromJaeger } from '../src/console/traces.ts';
import gateway from '../src/service.ts';
import { json, StubService, unreachableUrl } from './stub-service.ts';

/** What Jaeger's query API answers for a trace of two spans in two services. */
const JAEGER_TRACE_ID = 'abcdef0123456789abcdef0123456789';
const jaegerAnswer = {
  data: [
    {
      traceID: JAEGER_TRACE_ID,
      spans: [
        {
          traceID: JAEGER_TRACE_ID,
          spanID: '1111111111111111',
          operationName: 'POST /api/v1/orders',
          references: [],
          startTime: 1_700_000_000_000_000,
          duration: 25_000,
          tags: [{ key: 'span.kind', type: 'string', value: 'server' }, { key: 'http.response.status_code', type: 'int64', value: 201 }],
          logs: [],
          processID: 'p1',
        },
        {
          traceID: JAEGER_TRACE_ID,
          spanID: '2222222222222222',
          operationName: 'POST /orders',
          references: [{ refType: 'CHILD_OF', traceID: JAEGER_TRACE_ID, spanID: '1111111111111111' }],
          startTime: 1_700_000_000_002_000,
          duration: 20_000,
          tags: [{ key: 'span.kind', type: 'string', value: 'server' }, { key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'otel.status_description', type: 'string', value: 'boom' }],
          logs: [{ timestamp: 1_700_000_000_010_000, fields: [{ key: 'event', type: 'string', value: 'exception' }, { key: 'exception.message', type: 'string', value: 'boom' }] }],
          processID: 'p2',
        },
      ],
      processes: { p1: { serviceName: 'gateway' }, p2: { serviceName: 'orders' } },
    },
  ],
};

describe('the console’s recent traces', () => {
  let tokens: TestTokens;
  let admin: { authorization: string };
  let catalog: BuiltService;
  let jaeger: StubService;
  let gw: BuiltService;

  beforeAll(async () => {
    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    // A real kit service behind the gateway, as catalog: its spans land in its own buffer.
    catalog = await buildService(
      { name: 'catalog', description: 'answers products', defaultPort: 0, setup: (app) => void app.get('/products/:id', async (request) => ({ id: (request.params as { id: string }).id })) },
      { source: {}, log: createLogger('catalog', 'silent'), verifier: tokens.verifier },
    );
    const catalogUrl = await catalog.listen(0);
    jaeger = await new StubService().start();
    jaeger.handler = (req, res) => (req.url === `/api/traces/${JAEGER_TRACE_ID}` ? json(res, 200, jaegerAnswer) : json(res, 404, { data: null, errors: [{ code: 404, msg: 'trace not found' }] }));
    const nowhere = await unreachableUrl();
    gw = await buildService(gateway, {
      source: {
        LOG_LEVEL: 'silent',
        CATALOG_URL: catalogUrl,
        ...Object.fromEntries(['IDENTITY_URL', 'INVENTORY_URL', 'CART_URL', 'ORDERS_URL', 'PAYMENTS_URL', 'SHIPPING_URL', 'NOTIFICATIONS_URL', 'RECOMMENDATIONS_URL'].map((k) => [k, nowhere])),
        CONSOLE_PROBE_TIMEOUT_MS: '500',
        UPSTREAM_TIMEOUT_MS: '1000',
        JAEGER_URL: jaeger.url,
      },
      verifier: tokens.verifier,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await catalog?.close();
    await jaeger?.stop();
  });

  /** A product read through the gateway; resolves with its trace id. */
  const readProduct = async (id: string) => {
    const res = await gw.app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { 'x-correlation-id': `trace-test-${id}` } });
    expect(res.statusCode).toBe(200);
    return /^00-([0-9a-f]{32})-/.exec(String(res.headers.traceparent))![1]!;
  };

  it('refuses anonymous callers with 401 and customers with 403', async () => {
    const customer = await tokens.auth();
    for (const url of ['/api/v1/ops/traces', `/api/v1/ops/traces/${JAEGER_TRACE_ID}`]) {
      expect((await gw.app.inject({ method: 'GET', url })).statusCode).toBe(401);
      const refused = await gw.app.inject({ method: 'GET', url, headers: customer });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('lists a request that went through the gateway to a service as one trace, newest first, and finds it by text', async () => {
    const older = await readProduct('sku-older');
    const traceId = await readProduct('sku-newer');
    const list = async (query = '') => {
      const res = await gw.app.inject({ method: 'GET', url: `/api/v1/ops/traces${query}`, headers: admin });
      expect(res.statusCode).toBe(200);
      return res.json() as { data: TraceSummary[]; unavailable: string[] };
    };
    // The gateway's span ends as its answer goes out: wait until both shares are held.
    await vi.waitFor(async () => expect((await list()).data.find((t) => t.traceId === traceId)?.spanCount).toBe(3), { timeout: 3_000, interval: 20 });
    const { data, unavailable } = await list();
    expect(data.map((t) => t.traceId).slice(0, 2)).toEqual([traceId, older]);
    expect(data[0]).toMatchObject({ name: 'GET /api/v1/products/*', service: 'gateway', rooted: true, services: ['catalog', 'gateway'], serviceCount: 2, spanCount: 3, error: false });
    expect(data[0]!.durationMs).toBeGreaterThan(0);
    // Services that do not answer are named, and cost no more than the probe timeout.
    expect(unavailable).toEqual(['cart', 'identity', 'inventory', 'notifications', 'orders', 'payments', 'recommendations', 'shipping']);
    // The text is only in the catalog's span of it (its route), yet the whole trace is summed up.
    const found = await list('?q=%2Fproducts%2F%3Aid');
    expect(found.data.map((t) => t.traceId)).toEqual(expect.arrayContaining([traceId, older]));
    expect(found.data.find((t) => t.traceId === traceId)).toMatchObject({ name: 'GET /api/v1/products/*', serviceCount: 2, spanCount: 3 });
    expect((await list('?q=sku-older')).data.map((t) => t.traceId)).toEqual([older]);
  });

  it('gives every span of a trace, from the gateway and the service, each once and linked to its parent', async () => {
    const traceId = await readProduct('sku-detail');
    const read = () => gw.app.inject({ method: 'GET', url: `/api/v1/ops/traces/${traceId}`, headers: admin });
    await vi.waitFor(async () => expect(((await read()).json() as { spans?: TraceSpan[] }).spans).toHaveLength(3), { timeout: 3_000, interval: 20 });
    const body = (await read()).json() as { source: string; spans: TraceSpan[] };
    expect(body.source).toBe('memory');
    const [root, call, served] = body.spans;
    expect(root).toMatchObject({ service: 'gateway', kind: 'server', name: 'GET /api/v1/products/*', parentSpanId: null });
    expect(call).toMatchObject({ service: 'gateway', kind: 'client', parentSpanId: root!.spanId });
    expect(served).toMatchObject({ service: 'catalog', kind: 'server', name: 'GET /products/:id', parentSpanId: call!.spanId });
    expect(served!.attributes['url.path']).toBe('/products/sku-detail');
    expect(new Set(body.spans.map((s) => s.spanId)).size).toBe(3);

    const missing = await gw.app.inject({ method: 'GET', url: `/api/v1/ops/traces/${'0'.repeat(31)}1`, headers: admin });
    expect(missing.statusCode).toBe(404);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/traces/NOT-A-TRACE', headers: admin })).statusCode).toBe(400);
  });

  it('reads a trace from Jaeger when JAEGER_URL is set and Jaeger has it', async () => {
    const res = await gw.app.inject({ method: 'GET', url: `/api/v1/ops/traces/${JAEGER_TRACE_ID}`, headers: admin });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { source: string; spans: TraceSpan[] };
    expect(body.source).toBe('jaeger');
    expect(body.spans).toEqual(fromJaeger(jaegerAnswer));
    expect(body.spans[1]).toMatchObject({
      service: 'orders',
      parentSpanId: '1111111111111111',
      startMs: 1_700_000_000_002,
      durationMs: 20,
      status: 'error',
      statusMessage: 'boom',
      events: [{ name: 'exception', atMs: 1_700_000_000_010, attributes: { 'exception.message': 'boom' } }],
    });
    expect(body.spans[0]!.attributes).toEqual({ 'http.response.status_code': 201 });
  });
});
