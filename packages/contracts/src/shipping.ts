import { Type, type Static } from '@sinclair/typebox';
import { Address, Id, ItemQuantity, Money, Page, PageQuery } from './common.ts';
import { defineEvent } from './events.ts';

/** Where a shipment stands. */
export const SHIPMENT_STATUSES = ['scheduled', 'dispatched', 'delivered', 'cancelled'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];
export const ShipmentStatusSchema = Type.Union(SHIPMENT_STATUSES.map((s) => Type.Literal(s)));

/** A shipping speed. */
export const ShippingService = Type.Union([Type.Literal('standard'), Type.Literal('express')]);
export type ShippingService = Static<typeof ShippingService>;

/** The shipment of one order. */
export const Shipment = Type.Object({
  id: Id,
  orderId: Id,
  userId: Id,
  status: ShipmentStatusSchema,
  service: ShippingService,
  carrier: Type.String(),
  trackingNumber: Type.String(),
  address: Address,
  items: Type.Array(ItemQuantity),
  estimatedDelivery: Type.String({ format: 'date' }),
  cancellationReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  dispatchedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Shipment = Static<typeof Shipment>;

export const ShipmentPage = Page(Shipment);
export type ShipmentPage = Static<typeof ShipmentPage>;

/** `GET /shipments` query: an order's shipments (admins may list all, by status). */
export const ShipmentQuery = Type.Object({
  orderId: Type.Optional(Id),
  status: Type.Optional(ShipmentStatusSchema),
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
});
export type ShipmentQuery = Static<typeof ShipmentQuery>;

export const ShipmentParams = Type.Object({ id: Id });

/** `POST /shipping/quotes` body: where to and how many items. */
export const QuoteBody = Type.Object(
  { address: Address, items: Type.Array(ItemQuantity, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);
export type QuoteBody = Static<typeof QuoteBody>;

/** One way to ship, with its price and how long it takes. */
export const Quote = Type.Object({
  service: ShippingService,
  carrier: Type.String(),
  price: Money,
  estimatedDays: Type.Integer({ minimum: 1 }),
});
export type Quote = Static<typeof Quote>;

/** `POST /shipping/quotes` answer. */
export const QuoteList = Type.Object({ data: Type.Array(Quote) });
export type QuoteList = Static<typeof QuoteList>;

const commandDelivery = 'at least once; handled once per order (shipping deduplicates by event id and by order id)';
const eventDelivery = 'at least once; in order per subject; consumers deduplicate by event id';

// Commands. The orders service's checkout saga sends them; shipping handles them.

/** Schedule the shipment of an order's items to its address, at the service the order paid for. */
export const scheduleShipment = defineEvent({
  type: 'shipment.schedule',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: schedule the order's shipment, at the service the customer chose (standard when none is named).",
  delivery: commandDelivery,
  schema: Type.Object(
    {
      orderId: Id,
      userId: Id,
      address: Address,
      items: Type.Array(ItemQuantity, { minItems: 1, maxItems: 100 }),
      service: Type.Optional(ShippingService),
    },
    { additionalProperties: false },
  ),
});

/** Cancel the order's shipment unless it has left the warehouse. Nothing to cancel is not an error. */
export const cancelShipment = defineEvent({
  type: 'shipment.cancel',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: cancel the order's shipment if it has not been dispatched.",
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id, reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
});

// Events. Shipping publishes them through its outbox, in the transaction that changes the shipment.

const shipmentFacts = { orderId: Id, shipmentId: Id, trackingNumber: Type.String(), carrier: Type.String() };

export const shipmentScheduled = defineEvent({
  type: 'shipment.scheduled',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'The shipment was scheduled with a carrier and has a tracking number.',
  delivery: eventDelivery,
  schema: Type.Object({ ...shipmentFacts, estimatedDelivery: Type.String({ format: 'date' }) }, { additionalProperties: false }),
});

export const shipmentSchedulingFailed = defineEvent({
  type: 'shipment.scheduling-failed',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'No shipment could be scheduled for the order (for example, no carrier serves the address).',
  delivery: eventDelivery,
  schema: Type.Object({ orderId: Id, reason: Type.String() }, { additionalProperties: false }),
});

export const shipmentDispatched = defineEvent({
  type: 'shipment.dispatched',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'The shipment left the warehouse (an admin dispatched it).',
  delivery: eventDelivery,
  schema: Type.Object(shipmentFacts, { additionalProperties: false }),
});

export const shipmentDelivered = defineEvent({
  type: 'shipment.delivered',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'The shipment reached the customer (an admin marked it delivered).',
  delivery: eventDelivery,
  schema: Type.Object(shipmentFacts, { additionalProperties: false }),
});

export const shipmentCancelled = defineEvent({
  type: 'shipment.cancelled',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'The shipment was cancelled before dispatch.',
  delivery: eventDelivery,
  schema: Type.Object({ ...shipmentFacts, reason: Type.String() }, { additionalProperties: false }),
});

export const shipmentCancellationRefused = defineEvent({
  type: 'shipment.cancellation-refused',
  version: 1,
  producer: 'shipping',
  subject: 'the order id',
  description: 'A shipment.cancel came after the shipment left the warehouse: it cannot be cancelled, and stays as it is (the answer to the command).',
  delivery: eventDelivery,
  schema: Type.Object(
    { ...shipmentFacts, status: Type.Union([Type.Literal('dispatched'), Type.Literal('delivered')]), reason: Type.String() },
    { additionalProperties: false },
  ),
});

/** Every event shipping publishes. */
export const shippingEvents = { shipmentScheduled, shipmentSchedulingFailed, shipmentDispatched, shipmentDelivered, shipmentCancelled, shipmentCancellationRefused } as const;
/** The commands shipping accepts from the checkout saga. */
export const shippingCommands = { scheduleShipment, cancelShipment } as const;
