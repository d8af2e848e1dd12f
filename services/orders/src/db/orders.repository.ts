import type { Queryable } from '@emporium/kit';
import type { Address, Money } from '@emporium/contracts/common';
import type { Order, OrderLine, OrderShipping, OrderStatus } from '@emporium/contracts/orders';
import type { ShippingService } from '@emporium/contracts/shipping';
import type { PaymentStatus } from '@emporium/contracts/payments';
import type { ShipmentStatus } from '@emporium/contracts/shipping';

/** An order as the write model holds it, with the fields the API does not show. */
export interface OrderRecord extends Omit<Order, 'history'> {
  email: string;
  fromCart: boolean;
}

interface OrderRow {
  id: string;
  user_id: string;
  email: string;
  status: OrderStatus;
  items: OrderLine[] | string;
  total_amount: string | number;
  currency: string;
  shipping_service: ShippingService | null;
  shipping_carrier: string | null;
  shipping_amount: string | number | null;
  shipping_address: Address | string;
  card_last4: string;
  from_cart: boolean;
  payment_id: string | null;
  payment_status: PaymentStatus | null;
  shipment_id: string | null;
  shipment_status: ShipmentStatus | null;
  tracking_number: string | null;
  carrier: string | null;
  cancellation_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toRecord(r: OrderRow): OrderRecord {
  return {
    id: r.id,
    userId: r.user_id,
    email: r.email,
    status: r.status,
    items: json(r.items),
    shipping: r.shipping_service ? { service: r.shipping_service, carrier: r.shipping_carrier ?? '', price: { amount: Number(r.shipping_amount), currency: r.currency } } : null,
    total: { amount: Number(r.total_amount), currency: r.currency },
    shippingAddress: json(r.shipping_address),
    payment: { id: r.payment_id, status: r.payment_status, cardLast4: r.card_last4 },
    shipment: r.shipment_id ? { id: r.shipment_id, status: r.shipment_status ?? 'scheduled', trackingNumber: r.tracking_number ?? '', carrier: r.carrier ?? '' } : null,
    cancellationReason: r.cancellation_reason,
    fromCart: r.from_cart,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The public shape of an order record (without the email and the cart flag). */
export function publicOrder(o: OrderRecord): Omit<Order, 'history'> {
  const { email: _email, fromCart: _fromCart, ...rest } = o;
  return rest;
}

/** A new order, priced. */
export interface NewOrder {
  id: string;
  userId: string;
  email: string;
  items: OrderLine[];
  /** The shipping chosen, priced in the order's currency. */
  shipping: OrderShipping;
  /** The lines plus the shipping. */
  total: Money;
  shippingAddress: Address;
  cardLast4: string;
  fromCart: boolean;
}

export async function insertOrder(q: Queryable, o: NewOrder): Promise<void> {
  await q.query(
    `INSERT INTO orders (id, user_id, email, status, items, total_amount, currency, shipping_address, card_last4, from_cart, shipping_service, shipping_carrier, shipping_amount)
     VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [o.id, o.userId, o.email, JSON.stringify(o.items), o.total.amount, o.total.currency, JSON.stringify(o.shippingAddress), o.cardLast4, o.fromCart, o.shipping.service, o.shipping.carrier, o.shipping.price.amount],
  );
}

const COLUMNS = `id, user_id, email, status, items, total_amount, currency, shipping_service, shipping_carrier, shipping_amount, shipping_address, card_last4, from_cart,
  payment_id, payment_status, shipment_id, shipment_status, tracking_number, carrier, cancellation_reason, created_at, updated_at`;

/** One order; `lock` holds its row for the rest of the transaction. */
export async function findOrder(q: Queryable, id: string, opts: { lock?: boolean } = {}): Promise<OrderRecord | undefined> {
  const { rows } = await q.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1${opts.lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/** A page of orders, newest first: one user's, or everyone's (admins), optionally by status. */
export async function listOrders(q: Queryable, f: { userId?: string; status?: OrderStatus; limit: number; offset: number }): Promise<{ items: OrderRecord[]; total: number }> {
  const { rows } = await q.query<OrderRow & { total: string | number }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM orders
     WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
    [f.userId ?? null, f.status ?? null, f.limit, f.offset],
  );
  return { items: rows.map(toRecord), total: Number(rows[0]?.total ?? 0) };
}

/** The columns a saga reply or a shipping event may change. */
export interface OrderChange {
  status?: OrderStatus;
  cancellationReason?: string;
  paymentId?: string;
  paymentStatus?: PaymentStatus;
  shipmentId?: string;
  shipmentStatus?: ShipmentStatus;
  trackingNumber?: string;
  carrier?: string;
}

const CHANGE_COLUMNS: Record<keyof OrderChange, string> = {
  status: 'status',
  cancellationReason: 'cancellation_reason',
  paymentId: 'payment_id',
  paymentStatus: 'payment_status',
  shipmentId: 'shipment_id',
  shipmentStatus: 'shipment_status',
  trackingNumber: 'tracking_number',
  carrier: 'carrier',
};

/** Applies `change` to an order. */
export async function updateOrder(q: Queryable, id: string, change: OrderChange): Promise<void> {
  const entries = Object.entries(change).filter(([, v]) => v !== undefined) as Array<[keyof OrderChange, string]>;
  if (!entries.length) return;
  const sets = entries.map(([k], i) => `${CHANGE_COLUMNS[k]} = $${i + 2}`);
  await q.query(`UPDATE orders SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, [id, ...entries.map(([, v]) => v)]);
}

/** The request hash of a key claimed before cards were tokenized: its hash is gone, and any body repeats its order. */
export const FORGOTTEN_REQUEST_HASH = 'forgotten';

/** The order an Idempotency-Key was claimed for, with the hash of the request that claimed it. */
export interface ClaimedKey {
  orderId: string;
  requestHash: string;
}

/** What a user's Idempotency-Key was used for, if anything. */
export async function findIdempotencyKey(q: Queryable, userId: string, key: string): Promise<ClaimedKey | undefined> {
  const { rows } = await q.query<{ order_id: string; request_hash: string }>('SELECT order_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2', [userId, key]);
  return rows[0] && { orderId: rows[0].order_id, requestHash: rows[0].request_hash };
}

/** Claims an Idempotency-Key for an order; returns what an earlier request already claimed it for. */
export async function claimIdempotencyKey(q: Queryable, k: { userId: string; key: string; requestHash: string; orderId: string }): Promise<ClaimedKey | undefined> {
  // A concurrent request with the same key waits here on the primary key until the first commits.
  const inserted = await q.query('INSERT INTO idempotency_keys (user_id, key, request_hash, order_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [k.userId, k.key, k.requestHash, k.orderId]);
  return inserted.rowCount === 1 ? undefined : findIdempotencyKey(q, k.userId, k.key);
}
