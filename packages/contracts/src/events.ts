import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

/** One event type, declared once: its name, version, producer, delivery guarantee and `data` schema. */
export interface EventDefinition<S extends TSchema = TSchema> {
  /** Past tense, namespaced: 'product.created'. */
  type: string;
  /** 1, bumped on a breaking change of `schema`. */
  version: number;
  /** The service that publishes it: 'catalog'. */
  producer: string;
  /** What the CloudEvents `subject` holds, in words: 'the product id'. */
  subject: string;
  /** One sentence. */
  description: string;
  /** The guarantee, in words: 'at least once; in order per subject; consumers deduplicate by event id'. */
  delivery: string;
  /** The `data` schema (TypeBox, additionalProperties: false). */
  schema: S;
}

const TYPE_PATTERN = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
const PRODUCER_PATTERN = /^[a-z][a-z0-9-]*$/;

/** Declares an event; throws at import time on a definition that breaks the naming rules. */
export function defineEvent<S extends TSchema>(def: EventDefinition<S>): EventDefinition<S> {
  const problems: string[] = [];
  if (!TYPE_PATTERN.test(def.type)) problems.push('type must be lowercase and namespaced, like "product.created"');
  if (!Number.isInteger(def.version) || def.version < 1) problems.push('version must be an integer from 1');
  if (!PRODUCER_PATTERN.test(def.producer)) problems.push('producer must be a service name, like "catalog"');
  for (const field of ['subject', 'description', 'delivery'] as const) {
    if (!def[field].trim()) problems.push(`${field} must be written`);
  }
  if (def.schema.type !== 'object' || def.schema.additionalProperties !== false) {
    problems.push('schema must be an object with additionalProperties: false');
  }
  if (problems.length) throw new Error(`event ${def.type}: ${problems.join('; ')}`);
  return Object.freeze({ ...def });
}

/** The type of an event's `data`: `EventData<typeof productCreated>`. */
export type EventData<E> = E extends EventDefinition<infer S> ? Static<S> : never;

/** The CloudEvents 1.0 JSON envelope, with the W3C trace context and the correlation id as extensions. */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  data: T;
  traceparent?: string;
  correlationid?: string;
}

// TypeBox's Value refuses formats it has not been told about. Register the ones event schemas
// use, with the rules of ajv-formats' default ("fast") mode, which the HTTP layer validates with.
const FORMATS: Record<string, RegExp> = {
  date: /^\d\d\d\d-[0-1]\d-[0-3]\d$/,
  'date-time': /^\d\d\d\d-[0-1]\d-[0-3]\d[t\s](?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i,
  email: /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
  uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i,
};
for (const [name, pattern] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (value) => pattern.test(value));
}

/** TypeBox schema of the envelope; `data` is checked against the event's own schema. Unknown extensions are allowed. */
export const CloudEventSchema = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ minLength: 1, description: 'Unique per event; consumers deduplicate on it' }),
    source: Type.String({ minLength: 1, description: 'The producing service, as a URI reference' }),
    type: Type.String({ minLength: 1, description: 'The event type, past tense and namespaced: product.created' }),
    subject: Type.String({ minLength: 1, description: 'The id of the aggregate the event is about' }),
    time: Type.String({ format: 'date-time', description: 'When the change happened (RFC 3339)' }),
    datacontenttype: Type.Literal('application/json'),
    dataschema: Type.String({ minLength: 1, description: 'urn:emporium:events:<type>:v<version>' }),
    data: Type.Unknown(),
    traceparent: Type.Optional(Type.String({ description: 'W3C trace context of the change that caused the event' })),
    correlationid: Type.Optional(Type.String({ description: 'The x-correlation-id of the request that caused the event' })),
  },
  { additionalProperties: true },
);

/** The `dataschema` URI of an event: 'urn:emporium:events:<type>:v<version>'. */
export function dataschemaOf(def: EventDefinition): string {
  return `urn:emporium:events:${def.type}:v${def.version}`;
}

const DATASCHEMA_PATTERN = /^urn:emporium:events:(.+):v(\d+)$/;
const MAX_DATA_PROBLEMS = 20;

/** Checks an envelope and its data against a definition; returns human-readable problems ([] when valid). Never throws. */
export function checkEvent(def: EventDefinition, envelope: unknown): string[] {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return ['the event is not a JSON object'];
  }
  const event = envelope as Record<string, unknown>;
  const problems: string[] = [];
  try {
    // The first problem of each envelope field is enough to name it.
    const seen = new Set<string>();
    for (const error of Value.Errors(CloudEventSchema, event)) {
      const field = error.path.split('/')[1] ?? '';
      if (seen.has(field)) continue;
      seen.add(field);
      problems.push(error.type === ValueErrorType.ObjectRequiredProperty ? `${field} is missing` : `${field} ${error.message}`);
    }

    if (typeof event.type === 'string' && event.type && event.type !== def.type) {
      problems.push(`type is '${event.type}', expected '${def.type}'`);
    }

    if (typeof event.dataschema === 'string' && event.dataschema) {
      const match = DATASCHEMA_PATTERN.exec(event.dataschema);
      if (!match) {
        problems.push(`dataschema '${event.dataschema}' is not of the form urn:emporium:events:<type>:v<version>`);
      } else {
        if (Number(match[2]) !== def.version) problems.push(`dataschema names version ${match[2]}, expected version ${def.version}`);
        if (match[1] !== def.type) problems.push(`dataschema names type '${match[1]}', expected '${def.type}'`);
      }
    }

    if ('data' in event) {
      // TypeBox reports a missing property twice (required, then its type); keep the first.
      const missing = new Set<string>();
      let count = 0;
      for (const error of Value.Errors(def.schema, event.data)) {
        if (missing.has(error.path)) continue;
        if (error.type === ValueErrorType.ObjectRequiredProperty) missing.add(error.path);
        if (++count > MAX_DATA_PROBLEMS) {
          problems.push('data has more problems than listed');
          break;
        }
        problems.push(`data${error.path} ${error.message}`);
      }
    }
  } catch (error) {
    problems.push(`the event could not be checked: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems;
}
