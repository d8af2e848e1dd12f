import { Type, type Static } from '@sinclair/typebox';
import { Address, Id, ItemQuantity, Money, Page, PageQuery } from './common.ts';
import { defineEvent } from './events.ts';
import { CardNumber, PaymentStatusSchema } from './payments.ts';
import { ShipmentStatusSchema, ShippingService } from './shipping.ts';

/** Where an order stands: PENDING → CONFIRMED → SHIPPED → DELIVERED, or → CANCELLED. */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** A union of literals rather than an enum: consumers check events with TypeBox's Value, which cannot check a Type.Unsafe. */
export const OrderStatusSchema = Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)));

/** One line of an order, priced when the order was placed. */
export const OrderLine = Type.Object({
  productId: Id,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  lineTotal: Money,
});
export type OrderLine = Static<typeof OrderLine>;

/** One status change in an order's life. */
export const OrderHistoryEntry = Type.Object({
  status: OrderStatusSchema,
  at: Type.String({ format: 'date-time' }),
  note: Type.Union([Type.String(), Type.Null()]),
});
export type OrderHistoryEntry = Static<typeof OrderHistoryEntry>;

/** The shipping an order pays for: the service chosen and its price, as shipping quoted it when the order was placed. */
export const OrderShipping = Type.Object({
  service: ShippingService,
  carrier: Type.String(),
  price: Money,
});
export type OrderShipping = Static<typeof OrderShipping>;

/** An order, as its owner and admins see it. */
export const Order = Type.Object({
  id: Id,
  userId: Id,
  status: OrderStatusSchema,
  items: Type.Array(OrderLine),
  // Optional, so that a client checking answers against this schema still accepts an orders service from before it.
  shipping: Type.Optional(Type.Union([OrderShipping, Type.Null()], { description: 'The shipping charged; null for an order placed before shipping was charged (and absent from an orders service of that time)' })),
  /** The lines plus the shipping: what is charged. */
  total: Money,
  shippingAddress: Address,
  payment: Type.Union([Type.Object({ id: Type.Union([Id, Type.Null()]), status: Type.Union([PaymentStatusSchema, Type.Null()]), cardLast4: Type.String() }), Type.Null()]),
  shipment: Type.Union([Type.Object({ id: Id, status: ShipmentStatusSchema, trackingNumber: Type.String(), carrier: Type.String() }), Type.Null()]),
  cancellationReason: Type.Union([Type.String(), Type.Null()]),
  history: Type.Array(OrderHistoryEntry),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Order = Static<typeof Order>;

/** `POST /orders` body. Without `items`, the caller's cart is ordered; without `shipping`, it goes standard. */
export const PlaceOrderBody = Type.Object(
  {
    items: Type.Optional(Type.Array(ItemQuantity, { minItems: 1, maxItems: 50 })),
    shippingAddress: Address,
    shipping: Type.Optional(
      Type.Object(
        { service: ShippingService },
        { additionalProperties: false, description: 'The shipping chosen among those `POST /shipping/quotes` offers; standard when left out. Its price is added to the total.' },
      ),
    ),
    payment: Type.Object({ cardNumber: CardNumber }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

/** `POST /orders` headers: the Idempotency-Key that makes a retry return the same order (I6). */
export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 8, maxLength: 128, pattern: '^[\\x21-\\x7E]+$', description: 'Unique per order attempt; a retry with the same key returns the same order' }),
});

/** `POST /orders` answer (202): the order was accepted and checkout runs. */
export const PlacedOrder = Type.Object({ id: Id, status: OrderStatusSchema });
export type PlacedOrder = Static<typeof PlacedOrder>;

/** An order in a list: without its history. */
export const OrderSummary = Type.Omit(Order, ['history']);
export const OrderPage = Page(OrderSummary);
export type OrderPage = Static<typeof OrderPage>;

/** `GET /orders` query: the caller's orders; admins see everyone's and may filter by user. */
export const OrderQuery = Type.Object({
  status: Type.Optional(OrderStatusSchema),
  userId: Type.Optional(Id),
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
});
export type OrderQuery = Static<typeof OrderQuery>;

export const OrderParams = Type.Object({ id: Id });

/** `POST /orders/:id/cancel` body: an optional reason. */
export const CancelOrderBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

// The checkout saga, as the operations console sees it.

export const SAGA_STATUSES = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];
export const SagaStatusSchema = Type.Union(SAGA_STATUSES.map((s) => Type.Literal(s)));

/** One thing that happened to a saga: a step invoked, answered, timed out, compensated. */
export const SagaEntry = Type.Object({
  step: Type.String(),
  action: Type.String({ description: 'invoke, reply, timeout, compensate, retry…' }),
  detail: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
});

/** A checkout saga: where it is, its deadline, and its timeline. */
export const Saga = Type.Object({
  id: Id,
  orderId: Id,
  status: SagaStatusSchema,
  step: Type.String(),
  deadlineAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  stuck: Type.Boolean({ description: 'Running or compensating past its deadline, or failed' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  timeline: Type.Array(SagaEntry),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Saga = Static<typeof Saga>;
export const SagaPage = Page(Saga);

/** `GET /ops/sagas` query: `problem` lists the stuck and failed ones. */
export const SagaQuery = Type.Object({
  filter: Type.Optional(Type.Union([Type.Literal('problem'), Type.Literal('all')], { default: 'problem' })),
  status: Type.Optional(SagaStatusSchema),
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
});

// Events. Orders publishes them through its outbox, in the transaction that changes the order.

const orderItems = Type.Array(ItemQuantity);
const eventDelivery = 'at least once; in order per subject; consumers deduplicate by event id';
const customer = { orderId: Id, userId: Id, email: Type.String() };

export const orderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'A customer placed an order; checkout has started.',
  delivery: eventDelivery,
  schema: Type.Object({ ...customer, items: orderItems, total: Money }, { additionalProperties: false }),
});

export const orderConfirmed = defineEvent({
  type: 'order.confirmed',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'Checkout completed: stock is sold, the payment captured and the shipment scheduled.',
  delivery: eventDelivery,
  schema: Type.Object(
    { ...customer, items: Type.Array(Type.Object({ productId: Id, name: Type.String(), quantity: Type.Integer({ minimum: 1 }), unitPrice: Money }, { additionalProperties: false })), total: Money, fromCart: Type.Boolean() },
    { additionalProperties: false },
  ),
});

export const orderCancelled = defineEvent({
  type: 'order.cancelled',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'The order was cancelled, with the reason; nothing stays charged or held for it.',
  delivery: eventDelivery,
  schema: Type.Object({ ...customer, reason: Type.String(), previousStatus: OrderStatusSchema }, { additionalProperties: false }),
});

export const orderShipped = defineEvent({
  type: 'order.shipped',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "The order's shipment left the warehouse.",
  delivery: eventDelivery,
  schema: Type.Object({ ...customer, trackingNumber: Type.String(), carrier: Type.String() }, { additionalProperties: false }),
});

export const orderDelivered = defineEvent({
  type: 'order.delivered',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'The order reached the customer.',
  delivery: eventDelivery,
  schema: Type.Object(customer, { additionalProperties: false }),
});

export const orderCancellationRefused = defineEvent({
  type: 'order.cancellation-refused',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: 'A cancellation was accepted but could not be carried out (the shipment had already left): the order goes on, in the status it names.',
  delivery: eventDelivery,
  schema: Type.Object({ ...customer, status: OrderStatusSchema, reason: Type.String() }, { additionalProperties: false }),
});

/** Every event orders publishes (its saga commands are declared by the services that handle them). */
export const orderEvents = { orderPlaced, orderConfirmed, orderCancelled, orderShipped, orderDelivered, orderCancellationRefused } as const;
