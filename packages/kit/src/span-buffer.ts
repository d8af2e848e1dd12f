import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TraceSpan, TraceSummary } from '@emporium/contracts/ops';

export type { TraceSpan, TraceSummary };

/** How many finished spans a service keeps in memory for /ops/traces by default. */
export const TRACE_BUFFER_SPANS = 2_000;

/** Longest attribute text kept; longer values are cut (a query's text, a stack trace). */
const MAX_TEXT = 1_000;
/** Span events kept per span (exceptions, mostly). */
const MAX_EVENTS = 8;
/** Traces being skipped at once; a bound in case a skipped root never ends. */
const MAX_SKIPPED = 10_000;

/**
 * Operators' reads: probes, scrapes and the console's own polling (its fan-outs included). The
 * buffer leaves their traces out, so watching the platform does not crowd out its traffic; they
 * are still exported like any other trace.
 */
const OPERATOR_READ = /^(GET|HEAD) \/(health\/|metrics$|ops\/|api\/v1\/ops\/)/;

const KINDS: Record<SpanKind, TraceSpan['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/**
 * Keeps a service's last finished spans in memory (a ring of `capacity`), for the console's
 * recent traces. It is one span processor of the service's own tracer provider: in embedded mode
 * every service has its own buffer, and a span is in exactly one of them. Ending a span only
 * stores it (this runs on every request of the gateway's hot path); spans become plain records,
 * their texts cut to size, when they are read.
 *
 * Left out, with every span of their trace in this process: traces that start here with a
 * database query or other internal work (the relay's and background tasks' polling, which would
 * otherwise be most of what is kept), and operators' reads (`GET /health/*`, `/metrics`,
 * `/ops/*`, `/api/v1/ops/*`).
 */
export class SpanBuffer implements SpanProcessor {
  private readonly ring: Array<ReadableSpan | undefined>;
  private next = 0;
  private size = 0;
  /** Trace id → the span id of the local root that made it skipped. */
  private readonly skipped = new Map<string, string>();

  constructor(
    readonly service: string,
    readonly capacity = TRACE_BUFFER_SPANS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('a span buffer needs a capacity of at least 1');
    this.ring = new Array<ReadableSpan | undefined>(capacity);
  }

  onStart(span: Span): void {
    const local = !span.parentSpanContext;
    const skip = (local && (span.kind === SpanKind.CLIENT || span.kind === SpanKind.INTERNAL)) || (span.kind === SpanKind.SERVER && OPERATOR_READ.test(span.name));
    if (!skip) return;
    const { traceId, spanId } = span.spanContext();
    if (this.skipped.has(traceId)) return;
    if (this.skipped.size >= MAX_SKIPPED) this.skipped.delete(this.skipped.keys().next().value!);
    this.skipped.set(traceId, spanId);
  }

  onEnd(span: ReadableSpan): void {
    if (this.skipped.size) {
      const { traceId, spanId } = span.spanContext();
      const skippedBy = this.skipped.get(traceId);
      if (skippedBy !== undefined) {
        if (skippedBy === spanId) this.skipped.delete(traceId);
        return;
      }
    }
    this.ring[this.next] = span;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}

  /** Every span held, oldest first. */
  spans(): TraceSpan[] {
    return this.held().map((s) => toTraceSpan(s, this.service));
  }

  /** The spans held of one trace, by start. */
  trace(traceId: string): TraceSpan[] {
    return this.held()
      .filter((s) => s.spanContext().traceId === traceId)
      .map((s) => toTraceSpan(s, this.service))
      .sort((a, b) => a.startMs - b.startMs);
  }

  /**
   * The traces held, newest first: at most `limit`, only those in `traceIds` when given, and only
   * those with a span whose name, service or an attribute contains `q` (any case) when given.
   */
  recent(opts: { limit?: number; q?: string; traceIds?: readonly string[] } = {}): TraceSummary[] {
    const byTrace = new Map<string, ReadableSpan[]>();
    const wanted = opts.traceIds ? new Set(opts.traceIds) : undefined;
    for (const span of this.held()) {
      const { traceId } = span.spanContext();
      if (wanted && !wanted.has(traceId)) continue;
      const list = byTrace.get(traceId);
      if (list) list.push(span);
      else byTrace.set(traceId, [span]);
    }
    const q = opts.q?.trim().toLowerCase();
    const summaries: TraceSummary[] = [];
    for (const spans of byTrace.values()) {
      if (q && !spans.some((s) => spanMatches(s, this.service, q))) continue;
      summaries.push(summarize(spans.map((s) => briefSpan(s, this.service))));
    }
    return summaries.sort((a, b) => b.startMs - a.startMs).slice(0, opts.limit ?? 50);
  }

  /** The finished spans held, oldest first. */
  private held(): ReadableSpan[] {
    const start = (this.next - this.size + this.capacity) % this.capacity;
    const out: ReadableSpan[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }
}

/** The service that recorded a span: its resource's service.name. */
function serviceOf(span: ReadableSpan, fallback: string): string {
  const name = span.resource.attributes['service.name'];
  return typeof name === 'string' ? name : fallback;
}

/** What a summary needs of a span, without converting its attributes. */
function briefSpan(span: ReadableSpan, service: string): BriefSpan {
  return {
    traceId: span.spanContext().traceId,
    name: span.name,
    service: serviceOf(span, service),
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    startMs: round3(hrMs(span.startTime)),
    durationMs: round3(Math.max(0, hrMs(span.duration))),
    status: span.status.code === SpanStatusCode.ERROR ? 'error' : span.status.code === SpanStatusCode.OK ? 'ok' : 'unset',
  };
}

/** A finished span as a plain record: ids, times in ms since the epoch, status, and its texts cut to size. */
export function toTraceSpan(span: ReadableSpan, service: string): TraceSpan {
  const brief = briefSpan(span, service);
  return {
    traceId: brief.traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: brief.parentSpanId,
    name: brief.name,
    service: brief.service,
    kind: KINDS[span.kind] ?? 'internal',
    startMs: brief.startMs,
    durationMs: brief.durationMs,
    status: brief.status,
    statusMessage: span.status.message ? cut(span.status.message) : null,
    attributes: plainAttributes(span.attributes),
    events: span.events.slice(0, MAX_EVENTS).map((e) => ({ name: e.name, atMs: round3(hrMs(e.time)), attributes: plainAttributes(e.attributes ?? {}) })),
  };
}

/** What a summary reads of a span. */
type BriefSpan = Pick<TraceSpan, 'traceId' | 'name' | 'service' | 'parentSpanId' | 'startMs' | 'durationMs' | 'status'>;

/** The summary of some spans of one trace (a service's share of it, or all of it). */
export function summarize(spans: readonly BriefSpan[]): TraceSummary {
  let first = spans[0]!;
  let root: BriefSpan | undefined;
  let end = -Infinity;
  let error = false;
  const services = new Set<string>();
  for (const s of spans) {
    if (s.startMs < first.startMs) first = s;
    if (s.parentSpanId === null) root = s;
    end = Math.max(end, s.startMs + s.durationMs);
    error ||= s.status === 'error';
    services.add(s.service);
  }
  const named = root ?? first;
  const list = [...services].sort();
  return {
    traceId: first.traceId,
    name: named.name,
    service: named.service,
    rooted: root !== undefined,
    startMs: first.startMs,
    durationMs: round3(end - first.startMs),
    services: list,
    serviceCount: list.length,
    spanCount: spans.length,
    error,
  };
}

/** One summary from the summaries of a trace's parts, as several services (or replicas) hold them. */
export function mergeSummaries(parts: readonly TraceSummary[]): TraceSummary {
  const earliest = parts.reduce((a, b) => (b.startMs < a.startMs ? b : a));
  const named = parts.find((p) => p.rooted) ?? earliest;
  const end = Math.max(...parts.map((p) => p.startMs + p.durationMs));
  const services = [...new Set(parts.flatMap((p) => p.services))].sort();
  return {
    traceId: earliest.traceId,
    name: named.name,
    service: named.service,
    rooted: named.rooted,
    startMs: earliest.startMs,
    durationMs: round3(end - earliest.startMs),
    services,
    serviceCount: services.length,
    spanCount: parts.reduce((n, p) => n + p.spanCount, 0),
    error: parts.some((p) => p.error),
  };
}

/** Whether a span's name, service or one of its attributes contains `q` (lowercase). */
function spanMatches(span: ReadableSpan, service: string, q: string): boolean {
  if (span.name.toLowerCase().includes(q) || serviceOf(span, service).toLowerCase().includes(q)) return true;
  for (const value of Object.values(span.attributes)) if (value !== undefined && String(value).toLowerCase().includes(q)) return true;
  return false;
}

function plainAttributes(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const plain = plainValue(value);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

function plainValue(value: AttributeValue | undefined): string | number | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  return cut(value.map((v) => String(v)).join(','));
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function hrMs([seconds, nanos]: HrTime): number {
  return seconds * 1_000 + nanos / 1e6;
}

function round3(n: number): number {
  return Math.round(n * 1_000) / 1_000;
}
