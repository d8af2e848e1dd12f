import { catalogEvents } from './catalog.ts';
import type { EventDefinition } from './events.ts';
import { identityEvents } from './identity.ts';

/** Every event the platform publishes, by producer. */
export const ALL_EVENTS: readonly EventDefinition[] = Object.freeze([...Object.values(identityEvents), ...Object.values(catalogEvents)]);

const byType = new Map(ALL_EVENTS.map((def) => [def.type, def]));

/** The definition of an event type, or undefined when no service publishes it. */
export function findEvent(type: string): EventDefinition | undefined {
  return byType.get(type);
}
