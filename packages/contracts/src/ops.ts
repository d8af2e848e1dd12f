import { Type, type Static } from '@sinclair/typebox';
import { Id } from './common.ts';

/** A message a subscription gave up on, as every service's /ops/dead-letters lists it. */
export const DeadLetter = Type.Object(
  {
    id: Id,
    eventId: Type.String(),
    purpose: Type.String({ description: 'The subscription that gave up on it' }),
    type: Type.String({ description: 'The event type' }),
    subject: Type.String(),
    reason: Type.Union([Type.Literal('failed'), Type.Literal('invalid')], { description: 'failed: the handler kept throwing; invalid: the message failed its schema' }),
    error: Type.String({ description: 'The last error' }),
    attempts: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    replayedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    envelope: Type.String({ description: 'The message as received' }),
  },
  { additionalProperties: false },
);
export type DeadLetter = Static<typeof DeadLetter>;

const AttributeValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** One finished span, as /ops/traces/:traceId (each service) and /api/v1/ops/traces/:traceId (merged) answer it. */
export const TraceSpan = Type.Object(
  {
    traceId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    spanId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    parentSpanId: Type.Union([Type.String(), Type.Null()], { description: 'The parent span, possibly in another service; null for the root' }),
    name: Type.String(),
    service: Type.String({ description: 'The service that recorded it (service.name)' }),
    kind: Type.Union([Type.Literal('internal'), Type.Literal('server'), Type.Literal('client'), Type.Literal('producer'), Type.Literal('consumer')]),
    startMs: Type.Number({ description: 'When it started, in ms since the epoch (with a fraction)' }),
    durationMs: Type.Number({ minimum: 0 }),
    status: Type.Union([Type.Literal('unset'), Type.Literal('ok'), Type.Literal('error')]),
    statusMessage: Type.Union([Type.String(), Type.Null()]),
    attributes: Type.Record(Type.String(), AttributeValue),
    events: Type.Array(Type.Object({ name: Type.String(), atMs: Type.Number(), attributes: Type.Record(Type.String(), AttributeValue) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type TraceSpan = Static<typeof TraceSpan>;

/** A recent trace in a list: its root (or earliest) span, how long it took, where it went and whether anything failed. */
export const TraceSummary = Type.Object(
  {
    traceId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    name: Type.String({ description: 'The root span’s name (e.g. POST /api/v1/orders), or the earliest span’s when the root is not held' }),
    service: Type.String({ description: 'The service of that span' }),
    rooted: Type.Boolean({ description: 'Whether the root span itself is among the spans held' }),
    startMs: Type.Number({ description: 'The earliest start, in ms since the epoch' }),
    durationMs: Type.Number({ minimum: 0, description: 'From the earliest start to the latest end' }),
    services: Type.Array(Type.String()),
    serviceCount: Type.Integer({ minimum: 0 }),
    spanCount: Type.Integer({ minimum: 0 }),
    error: Type.Boolean({ description: 'Whether a span of it ended with an error status' }),
  },
  { additionalProperties: false },
);
export type TraceSummary = Static<typeof TraceSummary>;
