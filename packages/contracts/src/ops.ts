import { Type, type Static } from '@sinclair/typebox';
import { Id } from './common.ts';
import { FAULT_KINDS, FAULT_MAX_MS, FAULT_RULES } from './fault-kinds.ts';

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

export { FAULT_KINDS, FAULT_MAX_MS, FAULT_RULES, type FaultKind, type FaultRule } from './fault-kinds.ts';

/** One fault, as the console shows and edits it. */
export const Fault = Type.Object(
  {
    kind: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k)), { description: 'What the fault does (see FAULT_RULES)' }),
    service: Type.String({ pattern: '^([a-z][a-z0-9-]{0,60}|\\*)$', description: 'The service it hits, or * for every one' }),
    target: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Where in the service: a route ("GET /api/v1/products", "/api/v1/orders/:id", or a path prefix), an event type ("order.placed") or an upstream ("catalog"); absent, all of them',
      }),
    ),
    value: Type.Optional(Type.Number({ minimum: 0, maximum: FAULT_MAX_MS, description: 'Milliseconds for latencies and hangs, a share from 0 to 1 for errors and failures; absent for crash, database-down and broker-down' })),
    enabled: Type.Boolean({ description: 'Whether it is on; one that is off stays listed, to switch on again' }),
  },
  { additionalProperties: false },
);
export type Fault = Static<typeof Fault>;

/** The body of PUT /api/v1/ops/faults: every fault, replacing those there were. */
export const FaultsBody = Type.Object({ faults: Type.Array(Fault, { maxItems: 100 }) }, { additionalProperties: false });
export type FaultsBody = Static<typeof FaultsBody>;

/** What GET and PUT /api/v1/ops/faults answer: the faults, and the flags file they live in. */
export const FaultsAnswer = Type.Object(
  {
    file: Type.String({ description: 'The flags file (FAULTS_FILE) every process watches' }),
    faults: Type.Array(Fault),
  },
  { additionalProperties: false },
);
export type FaultsAnswer = Static<typeof FaultsAnswer>;

const ROUTE_TARGET = /^((GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) )?\/[^\s]*$/;
const NAME_TARGET = /^[a-z][a-z0-9._-]{0,99}$/;

/** What the schema cannot say about a list of faults: each kind's value, target and service. Empty when the list is good. */
export function faultProblems(faults: readonly Fault[]): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  faults.forEach((f, i) => {
    const rule = FAULT_RULES[f.kind];
    const at = (field: string, message: string) => out.push({ path: `body/faults/${i}/${field}`, message });
    if (rule.value === 'none' && f.value !== undefined) at('value', `must be absent for ${f.kind}`);
    if (rule.value !== 'none' && f.value === undefined) at('value', `is required for ${f.kind} (${rule.value === 'ms' ? 'milliseconds' : 'a share from 0 to 1'})`);
    if (rule.value === 'rate' && f.value !== undefined && f.value > 1) at('value', 'must be a share from 0 to 1');
    if (rule.target === 'none' && f.target !== undefined) at('target', `must be absent for ${f.kind}`);
    if (rule.target === 'route' && f.target !== undefined && !ROUTE_TARGET.test(f.target)) at('target', 'must be a path, optionally after a method: "GET /api/v1/products"');
    if ((rule.target === 'event' || rule.target === 'upstream') && f.target !== undefined && !NAME_TARGET.test(f.target)) at('target', `must be ${rule.target === 'event' ? 'an event type' : 'a service name'}`);
    if (rule.service && f.service !== rule.service) at('service', `must be ${rule.service}: only it has what ${f.kind} breaks`);
  });
  return out;
}
