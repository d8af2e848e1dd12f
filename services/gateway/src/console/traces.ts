import { mergeSummaries, type TraceSpan, type TraceSummary } from '@emporium/kit';
import type { Instance } from './instances.ts';

/**
 * The console's recent traces, gathered from every instance's in-memory span buffer
 * (`/ops/traces`), or read from Jaeger. Pure functions, and the fan-out that uses them.
 */

/** The traces' summaries from several instances, one per trace (its parts merged), newest first. */
export function mergeTraceLists(lists: readonly (readonly TraceSummary[])[], limit: number): TraceSummary[] {
  const byTrace = new Map<string, TraceSummary[]>();
  for (const list of lists) {
    for (const summary of list) {
      const parts = byTrace.get(summary.traceId);
      if (parts) parts.push(summary);
      else byTrace.set(summary.traceId, [summary]);
    }
  }
  return [...byTrace.values()].map(mergeSummaries).sort((a, b) => b.startMs - a.startMs).slice(0, limit);
}

/**
 * The spans of one trace from several instances, each once (in embedded mode every service runs
 * in one process, each with its own buffer; a span id seen twice is kept once all the same), by start.
 */
export function mergeSpans(lists: readonly (readonly TraceSpan[])[]): TraceSpan[] {
  const byId = new Map<string, TraceSpan>();
  for (const list of lists) for (const span of list) if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  return [...byId.values()].sort((a, b) => a.startMs - b.startMs || (a.parentSpanId === null ? -1 : b.parentSpanId === null ? 1 : 0));
}

/**
 * What every instance answered to one GET: the parsed bodies of its 200s, and who did not answer
 * (or answered anything else). With `emptyOn404`, a 404 is an answer with nothing in it.
 */
export async function askInstances<T>(instances: readonly Instance[], path: string, headers: Record<string, string>, emptyOn404 = false): Promise<{ answers: T[]; unavailable: string[] }> {
  const answers: T[] = [];
  const failed: Instance[] = [];
  await Promise.all(
    instances.map(async (instance) => {
      try {
        const res = await instance.fetch(path, headers);
        if (res.status === 200) answers.push(JSON.parse(res.text) as T);
        else if (!(emptyOn404 && res.status === 404)) failed.push(instance);
      } catch {
        failed.push(instance);
      }
    }),
  );
  return { answers, unavailable: instanceNames(instances, failed) };
}

/** The names of `failed`: the service's, or with the replica's URL when the service has several. */
function instanceNames(all: readonly Instance[], failed: readonly Instance[]): string[] {
  const replicas = (service: string) => all.filter((i) => i.service === service).length;
  return [...new Set(failed.map((i) => (replicas(i.service) > 1 ? `${i.service} ${i.url}` : i.service)))].sort();
}

/** A tag or a log field in Jaeger's JSON. */
interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}

/** A span in Jaeger's JSON (`GET /api/traces/{id}`): times in microseconds since the epoch. */
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags?: JaegerKeyValue[];
  logs?: Array<{ timestamp: number; fields?: JaegerKeyValue[] }>;
  processID: string;
}

/** Jaeger's answer to `GET /api/traces/{id}`. */
interface JaegerAnswer {
  data?: Array<{ traceID: string; spans?: JaegerSpan[]; processes?: Record<string, { serviceName: string }> }> | null;
}

const KINDS = new Set<TraceSpan['kind']>(['internal', 'server', 'client', 'producer', 'consumer']);
/** Tags that become the span's kind and status rather than attributes. */
const STRUCTURAL_TAGS = new Set(['span.kind', 'otel.status_code', 'otel.status_description', 'error', 'internal.span.format']);

/** Jaeger's trace as the console's spans: ids padded to their W3C length, times in ms, kind and status from their tags. */
export function fromJaeger(answer: unknown): TraceSpan[] {
  const traces = (answer as JaegerAnswer | null)?.data ?? [];
  const spans: TraceSpan[] = [];
  for (const t of traces) {
    for (const s of t.spans ?? []) {
      const tags = new Map((s.tags ?? []).map((tag) => [tag.key, tag.value]));
      const parent = s.references?.find((r) => r.refType === 'CHILD_OF') ?? s.references?.[0];
      const kind = String(tags.get('span.kind') ?? 'internal') as TraceSpan['kind'];
      const statusCode = String(tags.get('otel.status_code') ?? '');
      const failed = statusCode === 'ERROR' || tags.get('error') === true || tags.get('error') === 'true';
      spans.push({
        traceId: s.traceID.padStart(32, '0'),
        spanId: s.spanID.padStart(16, '0'),
        parentSpanId: parent ? parent.spanID.padStart(16, '0') : null,
        name: s.operationName,
        service: t.processes?.[s.processID]?.serviceName ?? 'unknown',
        kind: KINDS.has(kind) ? kind : 'internal',
        startMs: s.startTime / 1_000,
        durationMs: Math.max(0, s.duration / 1_000),
        status: failed ? 'error' : statusCode === 'OK' ? 'ok' : 'unset',
        statusMessage: typeof tags.get('otel.status_description') === 'string' ? (tags.get('otel.status_description') as string) : null,
        attributes: plain((s.tags ?? []).filter((tag) => !STRUCTURAL_TAGS.has(tag.key))),
        events: (s.logs ?? []).map((log) => {
          const name = log.fields?.find((f) => f.key === 'event')?.value;
          return { name: typeof name === 'string' ? name : 'log', atMs: log.timestamp / 1_000, attributes: plain((log.fields ?? []).filter((f) => f.key !== 'event')) };
        }),
      });
    }
  }
  return mergeSpans([spans]);
}

function plain(pairs: readonly JaegerKeyValue[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of pairs) {
    out[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * One trace from Jaeger's query API: its spans, none when Jaeger does not have it (404, or
 * an empty answer). Rejects when Jaeger cannot be reached or answers something else.
 */
export async function jaegerTrace(jaegerUrl: string, traceId: string, timeoutMs: number): Promise<TraceSpan[]> {
  const res = await fetch(`${jaegerUrl.replace(/\/+$/, '')}/api/traces/${traceId}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`Jaeger answered ${res.status}`);
  return fromJaeger(await res.json());
}
