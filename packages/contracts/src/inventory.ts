import { Type, type Static } from '@sinclair/typebox';
import { Id, ItemQuantity } from './common.ts';
import { defineEvent } from './events.ts';

/** The stock of one product: what can still be ordered, and what pending orders hold. */
export const Stock = Type.Object({
  productId: Id,
  available: Type.Integer({ minimum: 0 }),
  reserved: Type.Integer({ minimum: 0 }),
});
export type Stock = Static<typeof Stock>;

/** `/inventory/:productId` path parameters. */
export const StockParams = Type.Object({ productId: Id });

/** `PUT /inventory/:productId` body: the stock available to order from now on. */
export const SetStockBody = Type.Object(
  { available: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
  { additionalProperties: false },
);
export type SetStockBody = Static<typeof SetStockBody>;

const orderItems = Type.Array(ItemQuantity, { minItems: 1, maxItems: 100 });
const commandDelivery = 'at least once; handled once per order (the inventory deduplicates by event id and by order id)';
const eventDelivery = 'at least once; in order per subject; consumers deduplicate by event id';

// Commands. The orders service's checkout saga sends them; inventory handles them.

/** Reserve the items of an order, all or nothing. */
export const reserveStock = defineEvent({
  type: 'inventory.reserve',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'A command from the checkout saga: hold these items for the order, all or none.',
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id, items: orderItems }, { additionalProperties: false }),
});

/** Give an order's held (or sold, for a cancelled confirmed order) items back to the available stock. */
export const releaseStock = defineEvent({
  type: 'inventory.release',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: return the order's reserved or sold items to the available stock. Releasing nothing is not an error.",
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id, reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
});

/** Turn an order's reservation into a sale. */
export const commitStock = defineEvent({
  type: 'inventory.commit',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: the order is about to be confirmed, so its reserved items are sold. A reservation released by expiry is taken again if the stock is still there.",
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id }, { additionalProperties: false }),
});

// Events. Inventory publishes them through its outbox, in the transaction that changes the stock.

/** The items of an order are held until `expiresAt`. */
export const inventoryReserved = defineEvent({
  type: 'inventory.reserved',
  version: 1,
  producer: 'inventory',
  subject: 'the order id',
  description: "An order's items are held for it until the reservation expires.",
  delivery: eventDelivery,
  schema: Type.Object(
    { orderId: Id, reservationId: Id, items: orderItems, expiresAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
});

/** Some item of an order could not be held; nothing was held. */
export const inventoryReservationFailed = defineEvent({
  type: 'inventory.reservation-failed',
  version: 1,
  producer: 'inventory',
  subject: 'the order id',
  description: 'An order could not be reserved (unknown product or not enough stock), or its commit found the reservation expired and the stock gone; nothing is held for it.',
  delivery: eventDelivery,
  schema: Type.Object(
    {
      orderId: Id,
      reason: Type.Union([Type.Literal('out-of-stock'), Type.Literal('unknown-product'), Type.Literal('expired')], { description: 'expired: a commit found the reservation released after its expiry and the stock gone' }),
      shortages: Type.Array(Type.Object({ productId: Id, requested: Type.Integer(), available: Type.Integer() }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
});

/** An order's reserved items are sold. */
export const inventoryCommitted = defineEvent({
  type: 'inventory.committed',
  version: 1,
  producer: 'inventory',
  subject: 'the order id',
  description: "An order's reserved items are sold (the reply to inventory.commit).",
  delivery: eventDelivery,
  schema: Type.Object({ orderId: Id, items: orderItems }, { additionalProperties: false }),
});

/** An order's reservation (or its sale, if it was confirmed) went back to the available stock. */
export const inventoryReleased = defineEvent({
  type: 'inventory.released',
  version: 1,
  producer: 'inventory',
  subject: 'the order id',
  description: "An order's held or sold items went back to the available stock: on a command, or because the reservation expired.",
  delivery: eventDelivery,
  schema: Type.Object(
    { orderId: Id, items: Type.Array(ItemQuantity), reason: Type.String(), expired: Type.Boolean() },
    { additionalProperties: false },
  ),
});

/**
 * A product's stock changed; carries the whole current state (catalog shows it) and the stock's
 * version, so that a consumer can tell a stale event from a newer one. `version` was added
 * without a new schema version: it is optional, and events written before it lack it.
 */
export const stockChanged = defineEvent({
  type: 'stock.changed',
  version: 1,
  producer: 'inventory',
  subject: 'the product id',
  description: "A product's available or reserved stock changed; the event carries the new totals, not a diff, and the stock's version.",
  delivery: eventDelivery,
  schema: Type.Object(
    {
      productId: Id,
      available: Type.Integer({ minimum: 0 }),
      reserved: Type.Integer({ minimum: 0 }),
      version: Type.Optional(Type.Integer({ minimum: 1, description: "The product's stock version: bumped by every change, in its transaction, so a later change has a higher one. Apply an event only if its version is higher than the last applied. Missing in events from before it existed." })),
    },
    { additionalProperties: false },
  ),
});

/** Every event inventory publishes. */
export const inventoryEvents = { inventoryReserved, inventoryReservationFailed, inventoryCommitted, inventoryReleased, stockChanged } as const;
/** The commands inventory accepts from the checkout saga. */
export const inventoryCommands = { reserveStock, releaseStock, commitStock } as const;
