import { catalogEvents } from './catalog.ts';
import type { EventDefinition } from './events.ts';
import { identityEvents } from './identity.ts';
import { inventoryCommands, inventoryEvents } from './inventory.ts';
import { orderEvents } from './orders.ts';
import { paymentCommands, paymentEvents } from './payments.ts';
import { shippingCommands, shippingEvents } from './shipping.ts';

/** Every message on the broker, by producer: events, and the checkout saga's commands (produced by orders). */
export const ALL_EVENTS: readonly EventDefinition[] = Object.freeze([
  ...Object.values(identityEvents),
  ...Object.values(catalogEvents),
  ...Object.values(inventoryEvents),
  ...Object.values(orderEvents),
  ...Object.values(inventoryCommands),
  ...Object.values(paymentCommands),
  ...Object.values(shippingCommands),
  ...Object.values(paymentEvents),
  ...Object.values(shippingEvents),
]);

const byType = new Map(ALL_EVENTS.map((def) => [def.type, def]));

/** The definition of an event type, or undefined when no service publishes it. */
export function findEvent(type: string): EventDefinition | undefined {
  return byType.get(type);
}
