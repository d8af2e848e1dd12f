import type { FastifyRequest } from 'fastify';
import { Problem } from '@emporium/contracts/common';
import { TraceSpan, TraceSummary } from '@emporium/contracts/ops';
import { errors, requireRole, TraceId, Type, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import type { Instance } from '../console/instances.ts';
import { askInstances, jaegerTrace, mergeSpans, mergeTraceLists } from '../console/traces.ts';

/** What the trace routes need: every instance (the gateway first), the verifier, and where Jaeger is, if anywhere. */
export interface TracesRoutesOptions {
  instances: readonly Instance[];
  verifier: TokenVerifier;
  /** Jaeger's query service (JAEGER_URL). */
  jaegerUrl?: string;
  /** Time allowed for Jaeger's answer. */
  jaegerTimeoutMs: number;
}

const Unavailable = Type.Array(Type.String(), { description: 'Services (or replicas) that did not answer: their spans are missing' });

/**
 * The console's recent traces, admin only: every instance's in-memory span buffer gathered and
 * merged, each instance asked with the caller's token. One trace comes from Jaeger first when
 * JAEGER_URL is set.
 */
export async function tracesRoutes(app: ServiceApp, { instances, verifier, jaegerUrl, jaegerTimeoutMs }: TracesRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');
  const asCaller = (request: FastifyRequest): Record<string, string> => ({ authorization: request.headers.authorization ?? '' });

  app.get('/api/v1/ops/traces', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Recent traces across the services, newest first',
      description:
        "Gathered from every instance's buffer of its last finished spans (the gateway's included), merged by trace. " +
        'Probes, scrapes and the console’s own reads are not kept, nor traces that start with a background query. ' +
        'With `q`, only traces with a span whose name, service or an attribute contains it: an order id, a path, an event type.',
      security: [{ bearer: [] }],
      querystring: Type.Object(
        {
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text a span of the trace contains (any case)' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ data: Type.Array(TraceSummary), unavailable: Unavailable }), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request) => {
    const { limit, q } = request.query;
    const headers = asCaller(request);
    // Each instance names its own newest traces; asking for more than `limit` keeps a trace whose
    // share in one service is older than that service's newest from being undercounted.
    const perInstance = Math.min(500, limit * 4);
    const first = await askInstances<{ data: TraceSummary[] }>(instances, `/ops/traces?limit=${perInstance}${q ? `&q=${encodeURIComponent(q)}` : ''}`, headers);
    const found = mergeTraceLists(first.answers.map((a) => a.data), limit);
    if (!q || found.length === 0) return { data: found, unavailable: first.unavailable };
    // A filter matches some services' spans only (an order id is in the orders service's, not in
    // the gateway's root span): every service's share of the traces found is asked for again.
    const ids = found.map((t) => t.traceId).join(',');
    const second = await askInstances<{ data: TraceSummary[] }>(instances, `/ops/traces?limit=${found.length}&traceIds=${ids}`, headers);
    return { data: mergeTraceLists(second.answers.map((a) => a.data), limit), unavailable: [...new Set([...first.unavailable, ...second.unavailable])].sort() };
  });

  app.get('/api/v1/ops/traces/:traceId', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Every span of one trace, from every service, by start',
      description:
        'From Jaeger when the gateway has a JAEGER_URL and Jaeger has the trace (`source: jaeger`); otherwise from every instance’s in-memory span buffer (`source: memory`). ' +
        '404 when no one holds a span of it (buffers keep about the last 2,000 spans of each service).',
      security: [{ bearer: [] }],
      params: Type.Object({ traceId: TraceId }),
      response: {
        200: Type.Object({
          traceId: Type.String(),
          source: Type.Union([Type.Literal('memory'), Type.Literal('jaeger')]),
          spans: Type.Array(TraceSpan),
          unavailable: Unavailable,
        }),
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
      },
    },
  }, async (request) => {
    const { traceId } = request.params;
    const unavailable: string[] = [];
    if (jaegerUrl) {
      try {
        const spans = await jaegerTrace(jaegerUrl, traceId, jaegerTimeoutMs);
        if (spans.length) return { traceId, source: 'jaeger' as const, spans, unavailable };
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'Jaeger did not answer; the trace is read from the services');
        unavailable.push('jaeger');
      }
    }
    const asked = await askInstances<{ data: TraceSpan[] }>(instances, `/ops/traces/${traceId}`, asCaller(request), true);
    const spans = mergeSpans(asked.answers.map((a) => a.data));
    unavailable.push(...asked.unavailable);
    if (spans.length === 0) {
      const missing = unavailable.length ? ` (no answer from ${unavailable.join(', ')})` : '';
      throw errors.NOT_FOUND(`No service holds a span of trace ${traceId}${missing}; its spans may have been dropped to make room for newer ones.`);
    }
    return { traceId, source: 'memory' as const, spans, unavailable: unavailable.sort() };
  });
}
