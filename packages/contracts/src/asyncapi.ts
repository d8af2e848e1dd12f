import { CloudEventSchema, dataschemaOf, type EventDefinition } from './events.ts';

/** A JSON copy of a schema, without TypeBox's symbol keys. */
const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

/** Component keys allow letters, digits, `_` and `-` only: 'product.created' becomes 'product_created'. */
const keyOf = (def: EventDefinition): string => def.type.replaceAll('.', '_');

/** The NATS subject an event travels on: emporium.<producer>.<type>. */
const addressOf = (def: EventDefinition): string => `emporium.${def.producer}.${def.type}`;

/** The envelope schema of one event: the CloudEvent with its type, dataschema and `data` pinned. */
function payloadOf(def: EventDefinition): Record<string, unknown> {
  const envelope = plain(CloudEventSchema);
  const properties = envelope.properties as Record<string, Record<string, unknown>>;
  properties.type = { ...properties.type, const: def.type };
  properties.subject = { ...properties.subject, description: `The subject: ${def.subject}` };
  properties.dataschema = { ...properties.dataschema, const: dataschemaOf(def) };
  properties.data = plain(def.schema);
  return envelope;
}

/** The AsyncAPI 3.0.0 document of the given events: one channel and one `send` operation each. */
export function asyncApiDocument(events: readonly EventDefinition[]): object {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const def of events) {
    const key = keyOf(def);
    channels[key] = {
      address: addressOf(def),
      title: def.type,
      description: def.description,
      messages: {
        [key]: {
          name: def.type,
          title: `${def.type} v${def.version}`,
          summary: def.description,
          contentType: 'application/cloudevents+json',
          correlationId: { description: 'The request that caused the event', location: '$message.payload#/correlationid' },
          payload: payloadOf(def),
          'x-delivery': def.delivery,
        },
      },
    };
    operations[`send_${key}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${key}` },
      title: `${def.producer} publishes ${def.type}`,
      summary: def.description,
      messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
      'x-producer': def.producer,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Emporium events',
      version: '1.0.0',
      description:
        'Every event an Emporium service publishes. Each message is a CloudEvents 1.0 structured JSON envelope ' +
        '(specversion, id, source, type, subject, time, datacontenttype, dataschema, data) with the W3C `traceparent` ' +
        'and the `correlationid` as extensions. On NATS JetStream an event travels on the subject ' +
        '`emporium.<producer>.<type>`; the embedded mode carries the same envelopes in process.',
    },
    defaultContentType: 'application/cloudevents+json',
    channels,
    operations,
  };
}
