import type { Queryable } from '@emporium/kit';
import type { Address, ItemQuantity } from '@emporium/contracts/common';
import type { Shipment, ShipmentStatus, ShippingService } from '@emporium/contracts/shipping';

interface ShipmentRow {
  id: string;
  order_id: string;
  user_id: string | null;
  status: ShipmentStatus;
  service: ShippingService;
  carrier: string;
  tracking_number: string;
  address: Address | null;
  items: ItemQuantity[] | null;
  estimated_delivery: string | null;
  cancellation_reason: string | null;
  created_at: Date | string;
  dispatched_at: Date | string | null;
  delivered_at: Date | string | null;
}

/** A stored shipment row; a tombstone (a cancel that came before any schedule) has no user, address or items. */
export interface ShipmentRecord {
  id: string;
  orderId: string;
  userId: string | null;
  status: ShipmentStatus;
  carrier: string;
  trackingNumber: string;
  cancellationReason: string | null;
  /** The API's view; undefined on a tombstone, which the API never shows. */
  shipment: Shipment | undefined;
}

// The date as text: node-postgres would turn a `date` into a Date at local midnight.
const COLUMNS = `id, order_id, user_id, status, service, carrier, tracking_number, address, items,
  to_char(estimated_delivery, 'YYYY-MM-DD') AS estimated_delivery, cancellation_reason, created_at, dispatched_at, delivered_at`;

/** Rows the API may show: every shipment but tombstones. */
const VISIBLE = 'user_id IS NOT NULL';

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toRecord(row: ShipmentRow): ShipmentRecord {
  const visible = row.user_id !== null && row.address !== null && row.items !== null && row.estimated_delivery !== null;
  return {
    id: row.id,
    orderId: row.order_id,
    userId: row.user_id,
    status: row.status,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    cancellationReason: row.cancellation_reason,
    shipment: visible
      ? {
          id: row.id,
          orderId: row.order_id,
          userId: row.user_id!,
          status: row.status,
          service: row.service,
          carrier: row.carrier,
          trackingNumber: row.tracking_number,
          address: row.address!,
          items: row.items!,
          estimatedDelivery: row.estimated_delivery!,
          cancellationReason: row.cancellation_reason,
          createdAt: iso(row.created_at)!,
          dispatchedAt: iso(row.dispatched_at),
          deliveredAt: iso(row.delivered_at),
        }
      : undefined,
  };
}

const first = (rows: ShipmentRow[]): ShipmentRecord | undefined => (rows[0] ? toRecord(rows[0]) : undefined);

/** The order's shipment or tombstone, locked until the transaction ends; undefined when there is none. */
export async function lockShipmentByOrder(q: Queryable, orderId: string): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(`SELECT ${COLUMNS} FROM shipments WHERE order_id = $1 FOR UPDATE`, [orderId]);
  return first(rows);
}

/** A shipment to schedule. */
export interface NewShipment {
  orderId: string;
  userId: string;
  service: ShippingService;
  carrier: string;
  trackingNumber: string;
  address: Address;
  items: ItemQuantity[];
  estimatedDelivery: string;
}

/** Stores a scheduled shipment; undefined when the order already has a row (a concurrent command won). */
export async function insertShipment(q: Queryable, s: NewShipment): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(
    `INSERT INTO shipments (order_id, user_id, status, service, carrier, tracking_number, address, items, estimated_delivery)
     VALUES ($1, $2, 'scheduled', $3, $4, $5, $6, $7, $8)
     ON CONFLICT (order_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [s.orderId, s.userId, s.service, s.carrier, s.trackingNumber, JSON.stringify(s.address), JSON.stringify(s.items), s.estimatedDelivery],
  );
  return first(rows);
}

/** Stores a cancelled tombstone for an order with no shipment; undefined when the order already has a row. */
export async function insertTombstone(q: Queryable, orderId: string, reason: string): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(
    `INSERT INTO shipments (order_id, status, service, carrier, tracking_number, cancellation_reason, cancelled_at)
     VALUES ($1, 'cancelled', 'standard', '', '', $2, now())
     ON CONFLICT (order_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [orderId, reason],
  );
  return first(rows);
}

/** Cancels a shipment if it is still scheduled; undefined otherwise. */
export async function cancelScheduled(q: Queryable, id: string, reason: string): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(
    `UPDATE shipments SET status = 'cancelled', cancellation_reason = $2, cancelled_at = now()
     WHERE id = $1 AND status = 'scheduled'
     RETURNING ${COLUMNS}`,
    [id, reason],
  );
  return first(rows);
}

const STAMPS = { dispatched: 'dispatched_at', delivered: 'delivered_at' } as const;

/**
 * Moves a shipment from `from` to `to` and stamps the time, only if it is in `from` at that
 * moment: of two racing callers, one gets the row and the other undefined.
 */
export async function moveShipment(q: Queryable, id: string, from: ShipmentStatus, to: keyof typeof STAMPS): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(
    `UPDATE shipments SET status = $3, ${STAMPS[to]} = now()
     WHERE id = $1 AND status = $2 AND ${VISIBLE}
     RETURNING ${COLUMNS}`,
    [id, from, to],
  );
  return first(rows);
}

/** A shipment the API may show, by id; undefined for an unknown id or a tombstone. */
export async function findShipment(q: Queryable, id: string): Promise<ShipmentRecord | undefined> {
  const { rows } = await q.query<ShipmentRow>(`SELECT ${COLUMNS} FROM shipments WHERE id = $1 AND ${VISIBLE}`, [id]);
  return first(rows);
}

/** Which shipments to list: `userId` undefined means everyone's (admins). */
export interface ShipmentFilter {
  userId?: string;
  orderId?: string;
  status?: ShipmentStatus;
  limit: number;
  offset: number;
}

/** A slice of the shipments that match, newest first, and how many match in all. */
export async function listShipments(q: Queryable, f: ShipmentFilter): Promise<{ items: Shipment[]; total: number }> {
  const params: unknown[] = [];
  const where = [VISIBLE];
  const add = (column: string, value: unknown) => {
    params.push(value);
    where.push(`${column} = $${params.length}`);
  };
  if (f.userId !== undefined) add('user_id', f.userId);
  if (f.orderId !== undefined) add('order_id', f.orderId);
  if (f.status !== undefined) add('status', f.status);
  const filter = where.join(' AND ');
  const { rows } = await q.query<ShipmentRow & { total: number | string }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM shipments WHERE ${filter}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  );
  const items = rows.map((row) => toRecord(row).shipment!);
  if (rows[0]) return { items, total: Number(rows[0].total) };
  if (f.offset === 0) return { items: [], total: 0 };
  // Past the last page: the window count saw no rows, so count on its own.
  const count = await q.query<{ total: number | string }>(`SELECT count(*) AS total FROM shipments WHERE ${filter}`, params);
  return { items: [], total: Number(count.rows[0]?.total ?? 0) };
}
