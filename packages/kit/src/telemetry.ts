import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, AlwaysOnSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Database, Queryable, Transaction } from './db/types.ts';

export { SpanKind, SpanStatusCode, context, propagation, trace, type Span, type Tracer, type Context };

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

/** A service's tracer and the function that flushes and stops its exporter. */
export interface ServiceTracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/** Creates the tracer of one service; spans are exported over OTLP/HTTP when an endpoint is set. */
export function createTracing(service: string, otlpEndpoint: string | undefined, asyncContext = true): ServiceTracing {
  installTelemetry(asyncContext);
  const spanProcessors: SpanProcessor[] = [];
  if (otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint}/v1/traces` })));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.namespace': 'emporium' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  return { tracer: provider.getTracer(`emporium.${service}`), shutdown: () => provider.shutdown() };
}

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
