import { randomUUID } from 'node:crypto';
import type { Transport } from '@emporium/kit';
import { dataschemaOf, type CloudEvent, type EventData, type EventDefinition } from '@emporium/contracts/events';

/** A CloudEvent of `definition` as its producer's relay would send it; `time` defaults to now. */
export function cloudEvent<E extends EventDefinition>(definition: E, data: EventData<E>, subject: string, time = new Date()): CloudEvent<EventData<E>> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/emporium/${definition.producer}`,
    type: definition.type,
    subject,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(definition),
    data,
  };
}

/**
 * Delivers an event through `transport` as the producer's relay would; with the in-process
 * transport it resolves once every subscriber has committed or dead-lettered it.
 */
export async function deliver(transport: Transport, event: CloudEvent<unknown>, producer = event.source.split('/').pop()!): Promise<void> {
  await transport.publish([{ id: event.id, type: event.type, subject: event.subject, producer, body: JSON.stringify(event) }]);
}
