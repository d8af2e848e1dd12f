import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, AlwaysOnSampler, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_NAMESPACE, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { SettingsSource } from './config.ts';
import type { Database, Queryable, Transaction } from './db/types.ts';
import { SpanBuffer, TRACE_BUFFER_SPANS } from './span-buffer.ts';

export { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Span, type Tracer, type Context };

const CORRELATION_ID = createContextKey('emporium.correlation-id');
let propagatorInstalled = false;
let asyncContextInstalled = false;

/**
 * Installs the process-wide parts of tracing once: the W3C trace-context propagator and, unless
 * a service opts out, async context propagation. Tracer providers stay per service, so one
 * process can host many.
 *
 * Why opt out: on Node 20, AsyncLocalStorage puts a hook on every promise in the process,
 * measured at about 80 µs of CPU per proxied request in the gateway. A service that passes its
 * request context explicitly (the gateway does) runs without it when it has a process of its own.
 */
export function installTelemetry(asyncContext = true): void {
  if (!propagatorInstalled) {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    propagatorInstalled = true;
  }
  if (asyncContext && !asyncContextInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    asyncContextInstalled = true;
  }
}

/** A service's tracer, its buffer of recent spans, and the function that flushes and stops its exporter. */
export interface ServiceTracing {
  tracer: Tracer;
  /** The service's last finished spans, for /ops/traces. */
  spans: SpanBuffer;
  shutdown(): Promise<void>;
}

/** Where finished spans are exported, besides the in-memory buffer. */
export type TracesExporter = 'otlp' | 'console' | 'none';

/** How a service traces. */
export interface TracingOptions {
  /** `service.version` of the resource (buildService passes `serviceVersion()`); DEFAULT_VERSION when absent. */
  version?: string;
  /** The exporter; by default OTLP when `otlpEndpoint` is set, else none (OTEL_TRACES_EXPORTER). */
  exporter?: TracesExporter;
  /** The OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` is added. */
  otlpEndpoint?: string;
  /** Propagate the context through async calls (see installTelemetry); true by default. */
  asyncContext?: boolean;
  /** Spans kept in memory for /ops/traces. */
  bufferSpans?: number;
  /** More processors, after the buffer and the exporter's (tests pass an in-memory exporter's). */
  spanProcessors?: SpanProcessor[];
}

/** The exporter OTEL_TRACES_EXPORTER names, or its default: OTLP when an endpoint is set, else none. */
export function tracesExporter(setting: TracesExporter | undefined, otlpEndpoint: string | undefined): TracesExporter {
  return setting ?? (otlpEndpoint ? 'otlp' : 'none');
}

/**
 * Replaced at build time when the bundler defines it (esbuild `define`), so a bundled service
 * knows its version without reading a package.json it may not ship with.
 */
declare const __EMPORIUM_VERSION__: string | undefined;

/** The version when nothing else names one: the root package.json's, kept in step with it by hand. */
export const DEFAULT_VERSION = '0.1.0';

/**
 * The platform's version, for `service.version`. Read from settings and build constants, never
 * from a package.json found relative to this module: bundled into `services/<name>/dist/main.js`
 * (and in an image that ships only the bundles) that path does not lead to it. In order:
 * EMPORIUM_VERSION (deployments set it, e.g. to the image tag), the version the build stamped
 * (`__EMPORIUM_VERSION__`), npm's `npm_package_version` (set under `npm start` and `npm run`),
 * then DEFAULT_VERSION.
 */
export function serviceVersion(source: SettingsSource, setting?: string): string {
  const built = typeof __EMPORIUM_VERSION__ === 'string' ? __EMPORIUM_VERSION__ : undefined;
  return setting || built || source.npm_package_version || DEFAULT_VERSION;
}

/**
 * Creates the tracer of one service. Every finished span goes to the service's own in-memory
 * buffer (always), and to OTLP/HTTP or the console when the exporter says so.
 */
export function createTracing(service: string, opts: TracingOptions = {}): ServiceTracing {
  installTelemetry(opts.asyncContext ?? true);
  const spans = new SpanBuffer(service, opts.bufferSpans ?? TRACE_BUFFER_SPANS);
  const spanProcessors: SpanProcessor[] = [spans];
  const exporter = opts.exporter ?? tracesExporter(undefined, opts.otlpEndpoint);
  if (exporter === 'otlp') {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(opts.otlpEndpoint ? { url: `${opts.otlpEndpoint}/v1/traces` } : {})));
  } else if (exporter === 'console') {
    // One span at a time, as it ends: this is for reading along while developing.
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  spanProcessors.push(...(opts.spanProcessors ?? []));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, [ATTR_SERVICE_NAMESPACE]: 'emporium', [ATTR_SERVICE_VERSION]: opts.version ?? DEFAULT_VERSION }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  return { tracer: provider.getTracer(`emporium.${service}`), spans, shutdown: () => provider.shutdown() };
}

/**
 * OpenTelemetry's messaging and CloudEvents attributes. They are still incubating in the semantic
 * conventions, so they are written out here rather than imported from
 * `@opentelemetry/semantic-conventions/incubating`, whose names may change in a minor release.
 */
export const MESSAGING = {
  SYSTEM: 'messaging.system',
  OPERATION_TYPE: 'messaging.operation.type',
  OPERATION_NAME: 'messaging.operation.name',
  DESTINATION_NAME: 'messaging.destination.name',
  MESSAGE_ID: 'messaging.message.id',
  CONVERSATION_ID: 'messaging.message.conversation_id',
  CONSUMER_GROUP_NAME: 'messaging.consumer.group.name',
  CLOUDEVENTS_TYPE: 'cloudevents.event_type',
  CLOUDEVENTS_SUBJECT: 'cloudevents.event_subject',
} as const;

/** The context with a correlation id attached. */
export function withCorrelationId(ctx: Context, id: string): Context {
  return ctx.setValue(CORRELATION_ID, id);
}

/** The correlation id carried by `ctx` (by default, the work in progress), if any. */
export function currentCorrelationId(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(CORRELATION_ID) as string | undefined;
}

/** Writes `traceparent` (and `tracestate`) for the active context into outgoing headers. */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** The `traceparent` header value for a span. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-0${(traceFlags & 1).toString(16)}`;
}

/** The trace context carried by incoming headers. */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** Runs `fn` in a child span that records its error and always ends. */
export async function inSpan<T>(tracer: Tracer, name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>, kind = SpanKind.INTERNAL): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Wraps a database so that every statement and transaction becomes a client span. */
export function tracedDatabase(db: Database, tracer: Tracer): Database {
  const system = 'postgresql';
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) =>
      inSpan(tracer, `db ${firstWord(sql)}`, { 'db.system': system, 'db.namespace': db.schema, 'db.query.text': sql.slice(0, 500) }, () => q.query(sql, params), SpanKind.CLIENT),
    exec: (sql) => inSpan(tracer, 'db exec', { 'db.system': system, 'db.namespace': db.schema }, () => q.exec(sql), SpanKind.CLIENT),
  });
  return {
    ...db,
    ...wrap(db),
    transaction: (fn) =>
      inSpan(tracer, 'db transaction', { 'db.system': system, 'db.namespace': db.schema }, () =>
        db.transaction((tx) => fn({ ...wrap(tx), afterCommit: (cb) => tx.afterCommit(cb) } satisfies Transaction)),
      ),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

function firstWord(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
}
