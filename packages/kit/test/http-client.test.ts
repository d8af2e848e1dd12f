import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, context, createMetrics, createTracing, trace, Upstream, withCorrelationId, type UpstreamOptions } from '@emporium/kit';

/** A real local HTTP server whose behaviour each test sets, recording what it receives. */
interface TestServer {
  url: string;
  calls: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const upstreams: Upstream[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse, call: number) => void): Promise<TestServer> {
  const calls: TestServer['calls'] = [];
  const server: Server = createServer((req, res) => {
    calls.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    handler(req, res, calls.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(s);
  return s;
}

function upstream(opts: Partial<UpstreamOptions> & Pick<UpstreamOptions, 'urls'>, ...rest: ConstructorParameters<typeof Upstream> extends [unknown, ...infer R] ? R : never): Upstream {
  const u = new Upstream({ name: 'catalog', ...opts }, ...rest);
  upstreams.push(u);
  return u;
}

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ok = (body = 'ok') => (_req: IncomingMessage, res: ServerResponse) => res.end(body);

/** The AppError a call fails with. */
async function failure(call: Promise<unknown>): Promise<AppError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('Upstream', () => {
  it('returns the answer of a healthy upstream', async () => {
    const server = await serve((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"sku":"MUG-1"}');
    });
    const res = await upstream({ urls: [server.url] }).json<{ sku: string }>({ method: 'GET', path: '/products/MUG-1?x=1' });
    expect(res).toEqual({ status: 200, body: { sku: 'MUG-1' } });
    expect(server.calls[0]).toMatchObject({ method: 'GET', url: '/products/MUG-1?x=1' });
    expect(server.calls[0]!.headers.accept).toBe('application/json');
  });

  it('gives up on a slow upstream with UPSTREAM_TIMEOUT (504)', async () => {
    // The server never answers; the socket is destroyed when the test ends.
    const server = await serve(() => {});
    const err = await failure(upstream({ urls: [server.url], timeoutMs: 100, retries: 0 }).request({ method: 'GET', path: '/slow' }));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.status).toBe(504);
    expect(err.message).toContain('catalog');
  });

  it('retries a GET whose first attempt loses its connection', async () => {
    // 1. The first request has its socket destroyed before any answer.
    // 2. The retry, on a new connection, is answered.
    const server = await serve((req, res, call) => {
      if (call === 1) req.socket.destroy();
      else res.end('second time lucky');
    });
    const res = await upstream({ urls: [server.url] }).request({ method: 'GET', path: '/flaky' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('second time lucky');
    expect(server.calls).toHaveLength(2);
  });

  it('does not retry a POST: the server sees exactly one request', async () => {
    const server = await serve((req) => req.socket.destroy());
    const err = await failure(upstream({ urls: [server.url] }).request({ method: 'POST', path: '/orders', body: '{"sku":"MUG-1"}', headers: { 'content-type': 'application/json' } }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(server.calls).toHaveLength(1);
  });

  it('retries a POST marked idempotent', async () => {
    const server = await serve((req, res, call) => (call === 1 ? req.socket.destroy() : res.end('done')));
    const res = await upstream({ urls: [server.url] }).request({ method: 'POST', path: '/orders', body: '{}', idempotent: true });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(server.calls).toHaveLength(2);
  });

  it('returns a 500 answer to the caller rather than throwing', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/problem+json');
      res.end('{"code":"INTERNAL"}');
    });
    const res = await upstream({ urls: [server.url] }).request({ method: 'GET', path: '/broken' });
    expect(res.statusCode).toBe(500);
    expect(await res.body.json()).toEqual({ code: 'INTERNAL' });
    // A 500 is an answer, not a lost request: it is not retried.
    expect(server.calls).toHaveLength(1);
  });

  it('reports a refused connection as UPSTREAM_UNAVAILABLE (503)', async () => {
    const server = await serve(ok());
    const url = server.url;
    await server.close();
    const err = await failure(upstream({ urls: [url], retries: 0 }).request({ method: 'GET', path: '/' }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.headers['retry-after']).toBe('1');
  });

  it('opens its breaker after repeated failures and stops calling the upstream', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const metrics = createMetrics('orders');
    const catalog = upstream({ urls: [server.url], halfOpenAfterMs: 30_000, client: 'checkout' }, undefined, metrics);
    expect(catalog.state).toBe('closed');
    const breakerMetric = async (state: string) => new RegExp(`^http_client_breaker_state\\{upstream="catalog",client="checkout",state="${state}",service="orders"\\} 1$`, 'm').test(await metrics.registry.metrics());
    expect(await breakerMetric('closed')).toBe(true);

    // 1. Failing calls are answered with the upstream's 500 until the breaker opens.
    let opened: AppError | undefined;
    for (let i = 0; i < 20 && !opened; i++) {
      try {
        const res = await catalog.request({ method: 'GET', path: '/broken' });
        expect(res.statusCode).toBe(500);
        await res.body.dump();
      } catch (err) {
        opened = err as AppError;
      }
    }
    expect(opened).toBeInstanceOf(AppError);
    expect(opened!.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(opened!.status).toBe(503);
    expect(opened!.headers['retry-after']).toBe('30');
    expect(catalog.state).toBe('open');
    expect(await breakerMetric('open')).toBe(true);
    expect(await breakerMetric('closed')).toBe(false);

    // 2. While open, calls fail fast and never reach the server.
    const seen = server.calls.length;
    for (let i = 0; i < 3; i++) {
      const err = await failure(catalog.request({ method: 'GET', path: '/broken' }));
      expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(err.headers['retry-after']).toBe('30');
    }
    expect(server.calls).toHaveLength(seen);
  });

  it('rejects a call beyond its bulkhead with 503', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const server = await serve((_req, res) => void released.then(() => res.end('first')));
    const catalog = upstream({ urls: [server.url], maxConcurrent: 1, maxQueued: 0 });

    // 1. The first call takes the only place and waits at the server.
    const first = catalog.request({ method: 'GET', path: '/one' });
    await vi.waitFor(() => expect(server.calls).toHaveLength(1));

    // 2. A second call finds no place and no queue.
    const err = await failure(catalog.request({ method: 'GET', path: '/two' }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.headers['retry-after']).toBe('1');

    // 3. The first call completes normally once the server answers.
    release();
    const res = await first;
    expect(await res.body.text()).toBe('first');
    expect(server.calls.map((c) => c.url)).toEqual(['/one']);
  });

  it('shares the load between the replicas', async () => {
    const a = await serve(ok('a'));
    const b = await serve(ok('b'));
    const catalog = upstream({ urls: [a.url, b.url] });
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await catalog.request({ method: 'GET', path: `/p/${i}` });
      answers.add(await res.body.text());
    }
    expect(answers).toEqual(new Set(['a', 'b']));
    expect(a.calls.length).toBeGreaterThan(0);
    expect(b.calls.length).toBeGreaterThan(0);
    expect(a.calls.length + b.calls.length).toBe(20);
  });

  it('sends the correlation id and the W3C trace context of the caller', async () => {
    const server = await serve(ok());
    const tracing = createTracing('t', undefined);
    const metrics = createMetrics('t');
    const catalog = upstream({ urls: [server.url] }, tracing.tracer, metrics);

    // The call runs inside a server span with a correlation id, as a route handler does.
    const span = tracing.tracer.startSpan('GET /checkout');
    const ctx = withCorrelationId(trace.setSpan(context.active(), span), 'corr-42');
    const res = await context.with(ctx, () => catalog.request({ method: 'GET', path: '/products' }));
    await res.body.dump();
    span.end();

    const headers = server.calls[0]!.headers;
    expect(headers['x-correlation-id']).toBe('corr-42');
    const traceparent = headers.traceparent as string;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, spanId] = traceparent.split('-');
    expect(traceId).toBe(span.spanContext().traceId);
    // The upstream sees the client span, a child of the caller's span.
    expect(spanId).not.toBe(span.spanContext().spanId);

    expect(await metrics.registry.getSingleMetricAsString('http_client_requests_total')).toContain('upstream="catalog",outcome="ok"');
    await tracing.shutdown();
  });

  it('keeps a correlation id the caller set itself, and sends none outside a request', async () => {
    const server = await serve(ok());
    const catalog = upstream({ urls: [server.url] });
    await (await catalog.request({ method: 'GET', path: '/a' })).body.dump();
    await (
      await context.with(withCorrelationId(context.active(), 'from-context'), () => catalog.request({ method: 'GET', path: '/b', headers: { 'x-correlation-id': 'explicit' } }))
    ).body.dump();
    expect(server.calls[0]!.headers['x-correlation-id']).toBeUndefined();
    expect(server.calls[1]!.headers['x-correlation-id']).toBe('explicit');
  });

  it('refuses to be built without a URL', () => {
    expect(() => new Upstream({ name: 'nowhere', urls: [] })).toThrow('upstream nowhere has no URL');
  });
});
