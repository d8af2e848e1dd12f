import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Type } from '@sinclair/typebox';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defineEvent } from '@emporium/contracts/events';
import {
  buildService,
  context,
  createLogger,
  createTracing,
  DEFAULT_VERSION,
  InProcessTransport,
  KIT_MIGRATIONS,
  loadMigrations,
  logFormat,
  Messaging,
  migrate,
  parseServiceSettings,
  serviceVersion,
  SpanKind,
  SpanStatusCode,
  trace,
  tracesExporter,
  withCorrelationId,
  ROOT_CONTEXT,
  type BuiltService,
  type Logger,
  type ServiceDefinition,
  type TraceSpan,
  type TraceSummary,
  type Transport,
} from '@emporium/kit';
import { pglite, testTokens, type TestDatabase, type TestTokens } from '@emporium/testing';

/** Log lines written to a stream, parsed, with the raw text kept to spot a key written twice. */
function logSink() {
  const lines: Array<Record<string, unknown> & { raw: string }> = [];
  return { lines, destination: { write: (line: string) => void lines.push({ ...(JSON.parse(line) as Record<string, unknown>), raw: line }) } };
}

const hrMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
const count = (text: string, key: string) => text.split(`"${key}":`).length - 1;

describe('settings for traces and logs', () => {
  it('exports over OTLP when an endpoint is set, else nowhere, unless OTEL_TRACES_EXPORTER says otherwise', () => {
    expect(tracesExporter(undefined, undefined)).toBe('none');
    expect(tracesExporter(undefined, 'http://collector:4318')).toBe('otlp');
    expect(tracesExporter('console', 'http://collector:4318')).toBe('console');
    expect(tracesExporter('none', 'http://collector:4318')).toBe('none');
    const def: ServiceDefinition = { name: 'x', description: 'x', defaultPort: 0, setup() {} };
    expect(parseServiceSettings(def, { OTEL_TRACES_EXPORTER: 'console', LOG_FORMAT: 'pretty' })).toMatchObject({ OTEL_TRACES_EXPORTER: 'console', LOG_FORMAT: 'pretty' });
    expect(() => parseServiceSettings(def, { OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER="jaeger" is invalid: expected one of otlp, console, none/);
    expect(() => parseServiceSettings(def, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT="xml" is invalid/);
  });

  it('logs pretty only in development at a terminal, unless LOG_FORMAT says otherwise', () => {
    expect(logFormat(undefined, 'development', true)).toBe('pretty');
    expect(logFormat(undefined, 'development', false)).toBe('json');
    expect(logFormat(undefined, 'production', true)).toBe('json');
    expect(logFormat('json', 'development', true)).toBe('json');
    expect(logFormat('pretty', 'production', false)).toBe('pretty');
    // pino-pretty is a development dependency: installed here, so a pretty logger can be made.
    expect(createLogger('x', 'silent', { format: 'pretty' }).level).toBe('silent');
  });

  it('names the version from EMPORIUM_VERSION, then npm, then the default, and puts it on the resource', async () => {
    expect(serviceVersion({ npm_package_version: '1.2.3' }, '2.0.0')).toBe('2.0.0');
    expect(serviceVersion({ npm_package_version: '1.2.3' })).toBe('1.2.3');
    expect(serviceVersion({})).toBe(DEFAULT_VERSION);
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing('versioned', { version: '2.0.0', spanProcessors: [new SimpleSpanProcessor(exporter)] });
    tracing.tracer.startSpan('work').end();
    const span = exporter.getFinishedSpans()[0]!;
    await tracing.shutdown();
    expect(span.resource.attributes).toMatchObject({ 'service.name': 'versioned', 'service.namespace': 'emporium', 'service.version': '2.0.0' });
  });

  it('writes spans to the console with OTEL_TRACES_EXPORTER=console', async () => {
    const dir = vi.spyOn(console, 'dir').mockImplementation(() => {});
    try {
      const tracing = createTracing('loud', { exporter: 'console' });
      tracing.tracer.startSpan('spoken').end();
      await tracing.shutdown();
      expect(dir.mock.calls.some(([printed]) => (printed as { name?: string }).name === 'spoken')).toBe(true);
    } finally {
      dir.mockRestore();
    }
  });
});

describe('the span buffer', () => {
  it('keeps the last spans only, and leaves out traces that start with a query or an operator’s read', () => {
    const tracing = createTracing('buffered', { bufferSpans: 3 });
    const { tracer } = tracing;
    // A query outside any request (a relay's poll) and a probe: neither is kept.
    tracer.startSpan('db SELECT', { kind: SpanKind.CLIENT }).end();
    const probe = tracer.startSpan('GET /health/ready', { kind: SpanKind.SERVER });
    tracer.startSpan('db SELECT', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, probe)).end();
    probe.end();
    expect(tracing.spans.spans()).toEqual([]);
    for (let i = 0; i < 5; i++) tracer.startSpan(`GET /things/${i}`, { kind: SpanKind.SERVER }).end();
    expect(tracing.spans.spans().map((s) => s.name)).toEqual(['GET /things/2', 'GET /things/3', 'GET /things/4']);
  });
});

describe('logs and traces of a request', () => {
  let tokens: TestTokens;
  let service: BuiltService;
  const sink = logSink();
  beforeAll(async () => {
    tokens = await testTokens();
    service = await buildService(
      {
        name: 'echo',
        description: 'logs while it answers',
        defaultPort: 0,
        setup(app, ctx) {
          app.get('/things/:id', async (request) => {
            request.log.info('through the request logger');
            ctx.log.info('through the service logger');
            return { id: (request.params as { id: string }).id };
          });
        },
      },
      { source: {}, log: createLogger('echo', 'info', { destination: sink.destination }), verifier: tokens.verifier },
    );
  });
  afterAll(() => service.close());

  it('stamps every line written while handling it with its trace id and correlation id, once each', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/things/42', headers: { 'x-correlation-id': 'request-log-1' } });
    expect(res.statusCode).toBe(200);
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(res.headers.traceparent))![1];
    const lines = sink.lines.filter((l) => String(l.msg).startsWith('through the'));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ service: 'echo', traceId, correlationId: 'request-log-1' });
      expect([count(line.raw, 'traceId'), count(line.raw, 'correlationId')]).toEqual([1, 1]);
    }
  });

  it('lists the request at /ops/traces and gives its spans at /ops/traces/:traceId, to admins only', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/things/7' });
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(res.headers.traceparent))![1]!;
    expect((await service.app.inject({ method: 'GET', url: '/ops/traces' })).statusCode).toBe(401);
    expect((await service.app.inject({ method: 'GET', url: `/ops/traces/${traceId}`, headers: await tokens.auth() })).statusCode).toBe(403);

    const admin = await tokens.auth({ roles: ['admin'] });
    const list = await service.app.inject({ method: 'GET', url: '/ops/traces?limit=10', headers: admin });
    expect(list.statusCode).toBe(200);
    const data = (list.json() as { data: TraceSummary[] }).data;
    expect(data[0]).toMatchObject({ traceId, name: 'GET /things/:id', service: 'echo', rooted: true, services: ['echo'], serviceCount: 1, spanCount: 1, error: false });
    // The operator's own reads are not kept.
    expect(data.some((t) => t.name.includes('/ops/'))).toBe(false);
    const found = await service.app.inject({ method: 'GET', url: '/ops/traces?q=things/7', headers: admin });
    expect((found.json() as { data: TraceSummary[] }).data.map((t) => t.traceId)).toEqual([traceId]);

    const one = await service.app.inject({ method: 'GET', url: `/ops/traces/${traceId}`, headers: admin });
    expect(one.statusCode).toBe(200);
    const [span] = (one.json() as { data: TraceSpan[] }).data;
    expect(span).toMatchObject({ traceId, parentSpanId: null, name: 'GET /things/:id', kind: 'server', service: 'echo', status: 'unset' });
    expect(span!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/things/:id', 'http.response.status_code': 200 });
    expect((await service.app.inject({ method: 'GET', url: `/ops/traces/${'0'.repeat(31)}1`, headers: admin })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: '/ops/traces/not-a-trace', headers: admin })).statusCode).toBe(400);
  });
});

/** A test event: a counter moved on. */
const ticked = defineEvent({
  type: 'counter.ticked',
  version: 1,
  producer: 'producer',
  subject: 'the counter id',
  description: 'A counter moved on by one.',
  delivery: 'at least once',
  schema: Type.Object({ counterId: Type.String(), value: Type.Integer() }, { additionalProperties: false }),
});

/** The in-process transport, slowed: its publish takes at least `ms`; `onPublished` sees each batch just as its publish resolves. */
function slowTransport(ms: number, onPublished: (ids: string[]) => void): Transport {
  const inner = new InProcessTransport();
  return {
    kind: inner.kind,
    system: inner.system,
    publish: async (messages) => {
      await new Promise((r) => setTimeout(r, ms));
      await inner.publish(messages);
      onPublished(messages.map((m) => m.id));
    },
    subscribe: (s) => inner.subscribe(s),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

describe('an event through the outbox, the relay and a handler', () => {
  const exporter = new InMemorySpanExporter();
  const sink = logSink();
  let dbs: TestDatabase[];
  let producer: Messaging;
  let consumer: Messaging;
  const handled: string[] = [];
  /** Event id → which of its spans had ended when the transport's publish resolved. */
  const endedWhenPublished = new Map<string, { producer: boolean; consumer: boolean }>();

  beforeAll(async () => {
    dbs = await Promise.all([pglite.open('producer'), pglite.open('consumer')]);
    for (const { db } of dbs) await migrate(db, await loadMigrations(KIT_MIGRATIONS), 'kit_migrations');
    const transport = slowTransport(60, (ids) => {
      const ended = (kind: SpanKind) => new Set(exporter.getFinishedSpans().filter((sp) => sp.kind === kind).map((sp) => sp.attributes['messaging.message.id']));
      const [producers, consumers] = [ended(SpanKind.PRODUCER), ended(SpanKind.CONSUMER)];
      for (const id of ids) endedWhenPublished.set(id, { producer: producers.has(id), consumer: consumers.has(id) });
    });
    const spanProcessors = [new SimpleSpanProcessor(exporter)];
    const serviceLog: Logger = createLogger('consumer', 'info', { destination: sink.destination });
    producer = new Messaging('producer', dbs[0]!.db, transport, createLogger('producer', 'silent'), createTracing('producer', { spanProcessors }).tracer);
    consumer = new Messaging('consumer', dbs[1]!.db, transport, serviceLog, createTracing('consumer', { spanProcessors }).tracer);
    consumer.subscribe(ticked, 'record-ticks', async (event, _tx, log) => {
      log.info('from the handler’s logger');
      serviceLog.info('from the service’s logger');
      handled.push(event.id);
    });
    await consumer.start();
    await producer.start();
  });
  afterAll(async () => {
    await producer?.stop();
    await consumer?.stop();
    await Promise.all((dbs ?? []).map((d) => d.close()));
  });

  /** Publishes a tick in a transaction, inside a context carrying `correlationId` when given. */
  const publish = (counterId: string, correlationId?: string) =>
    context.with(correlationId ? withCorrelationId(ROOT_CONTEXT, correlationId) : ROOT_CONTEXT, () =>
      dbs[0]!.db.transaction((tx) => producer.publish(tx, ticked, { counterId, value: 1 }, { subject: counterId })),
    );

  const spansOf = (eventId: string) => {
    const spans = exporter.getFinishedSpans().filter((s) => s.attributes['messaging.message.id'] === eventId);
    return { send: spans.find((s) => s.kind === SpanKind.PRODUCER), process: spans.find((s) => s.kind === SpanKind.CONSUMER) };
  };

  it('has a producer span and a consumer span named and described by the messaging conventions, the producer ending after the publish', async () => {
    const event = await publish('c-1', 'corr-event-1');
    await vi.waitFor(() => expect(spansOf(event.id).send).toBeDefined(), { timeout: 5_000, interval: 20 });
    const { send, process } = spansOf(event.id) as { send: ReadableSpan; process: ReadableSpan };

    expect(send.name).toBe('publish producer.counter.ticked');
    expect(send.attributes).toMatchObject({
      'messaging.system': 'in-process',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.destination.name': 'producer.counter.ticked',
      'messaging.message.id': event.id,
      'messaging.message.conversation_id': 'corr-event-1',
      'cloudevents.event_type': 'counter.ticked',
      'cloudevents.event_subject': 'c-1',
    });
    expect(process.name).toBe('process producer.counter.ticked');
    expect(process.attributes).toMatchObject({
      'messaging.system': 'in-process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'producer.counter.ticked',
      'messaging.message.id': event.id,
      'messaging.consumer.group.name': 'consumer-record-ticks',
      'messaging.message.conversation_id': 'corr-event-1',
    });
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(process.spanContext().traceId).toBe(send.spanContext().traceId);
    expect([send.resource.attributes['service.name'], process.resource.attributes['service.name']]).toEqual(['producer', 'consumer']);
    expect(send.status.code).toBe(SpanStatusCode.UNSET);

    // The producer's span covers the whole publish: the transport's delay and (in process) the
    // handling, which had ended when the publish resolved, while the producer's span had not.
    expect(hrMs(send.duration)).toBeGreaterThanOrEqual(59);
    expect(endedWhenPublished.get(event.id)).toEqual({ producer: false, consumer: true });
  });

  it('gives the handler a logger, and stamps the service logger’s lines, with the trace id and correlation id', async () => {
    const withRequest = await publish('c-2', 'corr-event-2');
    const alone = await publish('c-3');
    await vi.waitFor(() => expect(handled).toEqual(expect.arrayContaining([withRequest.id, alone.id])), { timeout: 5_000, interval: 20 });
    for (const [event, correlationId] of [[withRequest, 'corr-event-2'], [alone, alone.id]] as const) {
      const traceId = spansOf(event.id).process!.spanContext().traceId;
      const lines = sink.lines.filter((l) => String(l.msg).startsWith('from the') && l.traceId === traceId);
      expect(lines.map((l) => l.msg).sort()).toEqual(['from the handler’s logger', 'from the service’s logger']);
      for (const line of lines) {
        expect(line).toMatchObject({ traceId, correlationId });
        expect([count(line.raw, 'traceId'), count(line.raw, 'correlationId')]).toEqual([1, 1]);
      }
      expect(lines.find((l) => l.msg === 'from the handler’s logger')).toMatchObject({ eventId: event.id, type: 'counter.ticked', purpose: 'record-ticks' });
    }
  });
});
