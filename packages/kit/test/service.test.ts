import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildService, createLogger, currentCorrelationId, trace, Type, type BuiltService, type Database, type ServiceDefinition } from '@emporium/kit';
import { describeOnDatabases, otlpCollector, pglite, testTokens, type TestDatabase } from '@emporium/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const tokens = await testTokens();

let migrations: string;
beforeAll(async () => {
  migrations = await mkdtemp(join(tmpdir(), 'emporium-kit-service-'));
  await writeFile(join(migrations, '001_widgets.sql'), 'CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL, n integer NOT NULL);');
});
afterAll(async () => {
  await rm(migrations, { recursive: true, force: true });
});

/** A gate a route waits on, so a test decides when an in-flight request may finish. */
function gate() {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const arrived = new Promise<void>((r) => (entered = r));
  return { open, arrived, pass: () => (entered(), opened) };
}

/** A tiny service exercising what the kit gives every service. */
function widgets(slow = gate()): ServiceDefinition {
  return {
    name: 'widgets',
    description: 'Widgets, for testing the kit',
    defaultPort: 0,
    migrations,
    bodyLimit: 256,
    setup(app, ctx) {
      app.get('/widgets/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async (request) => {
        const { rows } = await ctx.db.query('SELECT id, name, n FROM widgets WHERE id = $1', [request.params.id]);
        return rows[0] ?? { id: request.params.id, missing: true };
      });
      app.post('/widgets', { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), n: Type.Integer() }) } }, async (request, reply) => {
        const { rows } = await ctx.db.query('INSERT INTO widgets (name, n) VALUES ($1, $2) RETURNING id, name, n', [request.body.name, request.body.n]);
        return reply.code(201).send(rows[0]);
      });
      app.get('/count', { schema: { querystring: Type.Object({ n: Type.Integer() }) } }, async (request) => ({ n: request.query.n, type: typeof request.query.n }));
      app.get('/context', async () => ({ correlationId: currentCorrelationId(), traceId: trace.getActiveSpan()?.spanContext().traceId }));
      app.get('/boom', async () => {
        throw new Error('connection to 10.0.0.5 failed: password=hunter2');
      });
      app.get('/slow', async () => {
        await slow.pass();
        return { done: true };
      });
    },
  };
}

async function build(db: Database, def = widgets()): Promise<BuiltService> {
  return buildService(def, { source: {}, db, log: createLogger('widgets', 'silent'), verifier: tokens.verifier });
}

describe('a built service', () => {
  let test: TestDatabase;
  let service: BuiltService;
  beforeAll(async () => {
    test = await pglite.open('widgets');
    service = await build(test.db);
  });
  afterAll(async () => {
    await service.close();
    await test.close();
  });
  const inject = (opts: InjectOptions) => service.app.inject(opts);

  it('applies its migrations and serves its routes on its database', async () => {
    const created = await inject({ method: 'POST', url: '/widgets', payload: { name: 'sprocket', n: 3 } });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: number }>();
    expect((await inject({ method: 'GET', url: `/widgets/${id}` })).json()).toEqual({ id, name: 'sprocket', n: 3 });
    expect((await test.db.query('SELECT version FROM schema_migrations')).rows).toEqual([{ version: 1 }]);
  });

  it('answers /health/live', async () => {
    const res = await inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', service: 'widgets' });
  });

  it('answers /health/ready with the database and broker checks', async () => {
    const res = await inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', service: 'widgets', checks: { database: { status: 'ok' }, broker: { status: 'ok' } } });
  });

  describe('correlation ids', () => {
    it('echoes a valid incoming x-correlation-id', async () => {
      const res = await inject({ method: 'GET', url: '/health/live', headers: { 'x-correlation-id': 'checkout-7f3a.2:b_c' } });
      expect(res.headers['x-correlation-id']).toBe('checkout-7f3a.2:b_c');
    });

    it.each([
      ['too long', 'a'.repeat(300)],
      ['with spaces', 'not a valid id'],
      ['with a newline-like character', 'abc\tdef'],
    ])('replaces an invalid one (%s) with a fresh UUID', async (_why, given) => {
      const res = await inject({ method: 'GET', url: '/health/live', headers: { 'x-correlation-id': given } });
      expect(res.headers['x-correlation-id']).toMatch(UUID);
    });

    it('makes one up when none is sent, a different one each time', async () => {
      const a = (await inject({ method: 'GET', url: '/health/live' })).headers['x-correlation-id'];
      const b = (await inject({ method: 'GET', url: '/health/live' })).headers['x-correlation-id'];
      expect(a).toMatch(UUID);
      expect(b).toMatch(UUID);
      expect(a).not.toBe(b);
    });

    it('makes the correlation id and the trace visible to handler code', async () => {
      const res = await inject({ method: 'GET', url: '/context', headers: { 'x-correlation-id': 'ctx-check-1' } });
      const body = res.json<{ correlationId: string; traceId: string }>();
      expect(body.correlationId).toBe('ctx-check-1');
      expect(body.traceId).toBe(TRACEPARENT.exec(res.headers.traceparent as string)![1]);
    });
  });

  describe('trace context', () => {
    it.each([
      ['a health check', '/health/live'],
      ['an unknown route', '/nowhere'],
      ['a failing route', '/boom'],
      ['an invalid request', '/widgets/abc'],
      ['a badly percent-encoded URL', '/widgets/%E0%A4%A'],
      ['an overlong path parameter', `/widgets/${'1'.repeat(300)}`],
    ])('puts a traceparent on every response: %s', async (_what, url) => {
      const res = await inject({ method: 'GET', url });
      expect(res.headers.traceparent).toMatch(TRACEPARENT);
    });

    it('keeps the trace id of an incoming traceparent, with a span of its own', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parentSpan = '00f067aa0ba902b7';
      const res = await inject({ method: 'GET', url: '/health/live', headers: { traceparent: `00-${traceId}-${parentSpan}-01` } });
      const [, gotTrace, gotSpan] = TRACEPARENT.exec(res.headers.traceparent as string)!;
      expect(gotTrace).toBe(traceId);
      expect(gotSpan).not.toBe(parentSpan);
    });

    it('starts a new trace for each request without one', async () => {
      const a = TRACEPARENT.exec((await inject({ method: 'GET', url: '/health/live' })).headers.traceparent as string)![1];
      const b = TRACEPARENT.exec((await inject({ method: 'GET', url: '/health/live' })).headers.traceparent as string)![1];
      expect(a).not.toBe(b);
    });
  });

  describe('errors', () => {
    it('answers a thrown plain Error with a 500 problem that leaks nothing', async () => {
      const res = await inject({ method: 'GET', url: '/boom', headers: { 'x-correlation-id': 'boom-1' } });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json();
      expect(body).toMatchObject({ code: 'INTERNAL', status: 500, type: 'https://emporium.dev/problems/internal' });
      expect(res.body).not.toContain('hunter2');
      expect(res.body).not.toContain('10.0.0.5');
      // The detail tells the caller what to quote when reporting it.
      expect(body.detail).toContain('boom-1');
    });

    it('answers a schema violation with 400 VALIDATION_FAILED naming each field', async () => {
      const res = await inject({ method: 'POST', url: '/widgets', payload: { n: 'lots' } });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json<{ code: string; errors: Array<{ path: string; message: string }> }>();
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.errors.map((e) => e.path).sort()).toEqual(['body/n', 'body/name']);
      expect(body.errors.find((e) => e.path === 'body/n')!.message).toContain('integer');
    });

    it('names a bad path parameter', async () => {
      const res = await inject({ method: 'GET', url: '/widgets/abc' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'params/id' })]);
    });

    it('takes a body as sent: "12" is not an integer', async () => {
      const res = await inject({ method: 'POST', url: '/widgets', payload: { name: 'gear', n: '12' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'body/n' })]);
    });

    it('coerces a query string to the schema types: ?n=12 is the integer 12', async () => {
      const res = await inject({ method: 'GET', url: '/count?n=12' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ n: 12, type: 'number' });
      expect((await inject({ method: 'GET', url: '/count?n=twelve' })).statusCode).toBe(400);
    });

    it('answers a badly percent-encoded URL with a 400 problem carrying the correlation id', async () => {
      const res = await inject({ method: 'GET', url: '/widgets/%E0%A4%A', headers: { 'x-correlation-id': 'bad-url-1' } });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['x-correlation-id']).toBe('bad-url-1');
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });

    it('answers an overlong path parameter with a 414 problem carrying the correlation id', async () => {
      const res = await inject({ method: 'GET', url: `/widgets/${'1'.repeat(300)}`, headers: { 'x-correlation-id': 'long-1' } });
      expect(res.statusCode).toBe(414);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['x-correlation-id']).toBe('long-1');
    });

    it('answers broken JSON with 400 MALFORMED_JSON', async () => {
      const res = await inject({ method: 'POST', url: '/widgets', headers: { 'content-type': 'application/json' }, payload: '{"name": "gear", ' });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('MALFORMED_JSON');
    });

    it('answers a body over the limit with 413', async () => {
      const res = await inject({ method: 'POST', url: '/widgets', payload: { name: 'x'.repeat(1000), n: 1 } });
      expect(res.statusCode).toBe(413);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers an unsupported content type with 415', async () => {
      const res = await inject({ method: 'POST', url: '/widgets', headers: { 'content-type': 'application/xml' }, payload: '<widget/>' });
      expect(res.statusCode).toBe(415);
      expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers an unknown route with a 404 problem', async () => {
      const res = await inject({ method: 'GET', url: '/nowhere?x=1' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND', status: 404, detail: 'There is nothing at GET /nowhere.' });
    });
  });

  it('exposes request metrics by route and the process metrics', async () => {
    await inject({ method: 'GET', url: '/widgets/41' });
    const res = await inject({ method: 'GET', url: '/metrics', headers: await tokens.auth({ roles: ['admin'] }) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/^http_server_request_duration_seconds_bucket\{[^}]*route="\/widgets\/:id"[^}]*status_code="200"[^}]*\} [1-9]/m);
    expect(res.body).toMatch(/^http_server_request_duration_seconds_count\{[^}]*service="widgets"/m);
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('exposes the outbox backlog and the open dead letters as metrics, read when scraped', async () => {
    const scrape = async () => (await inject({ method: 'GET', url: '/metrics', headers: await tokens.auth({ roles: ['admin'] }) })).body;
    const value = (text: string, name: string) => Number(new RegExp(`^${name}\\{service="widgets"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const before = await scrape();
    expect(value(before, 'messaging_outbox_unpublished')).toBe(0);
    expect(value(before, 'messaging_outbox_oldest_unpublished_age_seconds')).toBe(0);
    expect(value(before, 'messaging_dead_letters_open')).toBe(0);
    await test.db.query(
      `INSERT INTO dead_letters (id, event_id, purpose, type, subject, envelope, reason, error, attempts) VALUES ($1, 'e-1', 'count-widgets', 'widget.made', 's-1', '{}', 'failed', 'boom', 5)`,
      [crypto.randomUUID()],
    );
    expect(value(await scrape(), 'messaging_dead_letters_open')).toBe(1);
    await test.db.query('DELETE FROM dead_letters');
  });

  it('describes its routes in /openapi.json, and not the health routes', async () => {
    const res = await inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Emporium widgets');
    expect(doc.paths['/widgets/{id}']).toHaveProperty('get');
    expect(doc.paths['/widgets']).toHaveProperty('post');
    expect(doc.paths).not.toHaveProperty('/health/live');
  });
});

describeOnDatabases('readiness', (kind) => {
  let test: TestDatabase;
  let service: BuiltService;
  beforeAll(async () => {
    test = await kind.open('widgets');
    service = await build(test.db);
  });
  afterAll(async () => {
    await service.close();
  });

  it('is ready while the database answers, and not once it is gone', async () => {
    // 1. Ready with the database up.
    expect((await service.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);

    // 2. The database goes away.
    await test.close();

    // 3. Not ready, saying which check fails; still alive.
    const res = await service.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ code: 'NOT_READY', status: 503, checks: { database: { status: 'failing' } } });
    expect(body.detail).toContain('database');
    expect((await service.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });
});

describe('graceful shutdown', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await pglite.open('widgets');
  });
  afterAll(async () => {
    await test.close();
  });
  /** Whether a new TCP connection to `url` is accepted. */
  function connects(url: string): Promise<boolean> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  }

  it('finishes the request in flight and refuses new connections', async () => {
    const slow = gate();
    const service = await build(test.db, widgets(slow));

    // 1. Listen on a free port and start a request that waits inside its handler.
    const url = await service.listen(0);
    expect(await connects(url)).toBe(true);
    const inFlight = fetch(`${url}/slow`);
    await slow.arrived;

    // 2. Begin closing while the request is still in the handler.
    const closed = service.close();
    await vi.waitFor(() => expect(service.app.server.listening).toBe(false));

    // 3. A new connection is refused, though the old request has not finished.
    expect(await connects(url)).toBe(false);

    // 4. Let the handler finish: the caller still gets its full answer.
    slow.open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });

    // 5. Closing completes once that answer is out: the finished request's keep-alive
    //    connection must not hold it open (a hang here shows as this test's timeout).
    await closed;
    expect(await connects(url)).toBe(false);
  }, 15_000);
});

describe('trace export', () => {
  it('sends the spans of a request over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    // 1. A real OTLP/HTTP receiver.
    const collector = await otlpCollector();
    const t = await pglite.open('otlp');
    try {
      // 2. A request through a service that exports to it.
      const service = await buildService(widgets(), { source: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint }, db: t.db, log: createLogger('widgets', 'silent'), verifier: (await testTokens()).verifier });
      const res = await service.app.inject({ method: 'GET', url: '/widgets/7' });
      const traceId = TRACEPARENT.exec(String(res.headers.traceparent))![1]!;
      // 3. Closing flushes the batch.
      await service.close();
      const spans = collector.spans().filter((s) => s.traceId === traceId);
      const server = spans.find((s) => s.name === 'GET /widgets/:id');
      expect(server?.service).toBe('widgets');
      expect(spans.find((s) => s.name === 'db SELECT')?.parentSpanId).toBe(server!.spanId);
    } finally {
      await t.close();
      await collector.close();
    }
  });
});
