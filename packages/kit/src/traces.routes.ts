import { Type } from '@sinclair/typebox';
import { Problem } from '@emporium/contracts/common';
import { TraceSpan, TraceSummary } from '@emporium/contracts/ops';
import { requireRole, type TokenVerifier } from './auth.ts';
import { errors } from './errors.ts';
import { bearer } from './openapi.ts';
import type { ServiceApp } from './service.ts';
import type { SpanBuffer } from './span-buffer.ts';

/** What the trace routes need: the service's span buffer and a verifier for admin tokens. */
export interface TracesRoutesOptions {
  spans: SpanBuffer;
  verifier: TokenVerifier;
}

/** A W3C trace id: 32 lowercase hex digits. */
export const TraceId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'A W3C trace id: 32 lowercase hex digits' });

/**
 * GET /ops/traces (the traces this service holds spans of, newest first) and
 * GET /ops/traces/:traceId (its spans of one trace), admin only: what the console's recent traces
 * gather from every service. They read the service's in-memory buffer of its last spans.
 */
export async function tracesRoutes(app: ServiceApp, { spans, verifier }: TracesRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  app.get('/ops/traces', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'The traces this service holds spans of, newest first',
      description: `From the service's last ${spans.capacity} finished spans, kept in memory. A summary covers only this service's spans of the trace.`,
      security: bearer,
      querystring: Type.Object(
        {
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only traces with a span whose name, service or an attribute contains this (any case): an order id, a path' })),
          traceIds: Type.Optional(Type.String({ maxLength: 33 * 100, pattern: '^[0-9a-f]{32}(,[0-9a-f]{32})*$', description: 'Only these traces, comma-separated' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ data: Type.Array(TraceSummary) }), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request) => {
    const { limit, q, traceIds } = request.query;
    return { data: spans.recent({ limit, q, traceIds: traceIds?.split(',') }) };
  });

  app.get('/ops/traces/:traceId', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "This service's spans of one trace, by start",
      security: bearer,
      params: Type.Object({ traceId: TraceId }),
      response: { 200: Type.Object({ data: Type.Array(TraceSpan) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
    },
  }, async (request) => {
    const data = spans.trace(request.params.traceId);
    if (data.length === 0) throw errors.NOT_FOUND(`This service holds no span of trace ${request.params.traceId}.`);
    return { data };
  });
}
