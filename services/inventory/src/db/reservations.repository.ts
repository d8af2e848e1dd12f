import type { Queryable } from '@emporium/kit';
import type { ItemQuantity } from '@emporium/contracts/common';
import type { ReservationStatus, Shortage } from '../domain/reservation.ts';

/** An order's reservation with its lines, as the saga commands find it. */
export interface Reservation {
  id: string;
  orderId: string;
  status: ReservationStatus;
  /** The failure reason of a failed one; the release reason of a released one. */
  reason: string | null;
  /** Released by the expiry sweep rather than by a command. */
  expired: boolean;
  expiresAt: string | null;
  shortages: Shortage[];
  lines: ItemQuantity[];
}

interface Row {
  id: string;
  order_id: string;
  status: ReservationStatus;
  reason: string | null;
  expired: boolean;
  expires_at: Date | string | null;
  shortages: Shortage[] | string;
}

const COLUMNS = 'id, order_id, status, reason, expired, expires_at, shortages';

async function withLines(q: Queryable, rows: Row[]): Promise<Reservation[]> {
  if (!rows.length) return [];
  const { rows: lines } = await q.query<{ order_id: string; product_id: string; quantity: number }>(
    'SELECT order_id, product_id, quantity FROM reservation_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no',
    [rows.map((r) => r.order_id)],
  );
  return rows.map((row) => ({
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    reason: row.reason,
    expired: row.expired,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    shortages: typeof row.shortages === 'string' ? (JSON.parse(row.shortages) as Shortage[]) : row.shortages,
    lines: lines.filter((l) => l.order_id === row.order_id).map((l) => ({ productId: l.product_id, quantity: Number(l.quantity) })),
  }));
}

/** Locks an order's reservation for the rest of the transaction; undefined when it has none. */
export async function lockReservation(q: Queryable, orderId: string): Promise<Reservation | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM reservations WHERE order_id = $1 FOR UPDATE`, [orderId]);
  return (await withLines(q, rows))[0];
}

/** The first state of an order's reservation: held for `ttlMs`, or released before any reserve came (a tombstone). */
export type NewReservation = { orderId: string; status: 'held'; ttlMs: number } | { orderId: string; status: 'released'; reason: string };

/**
 * Creates the order's reservation, or else locks the one it already has. A concurrent
 * command for the same order waits on the unique key until the first commits, then finds
 * its row: one reservation per order, whatever the races and redeliveries.
 */
export async function claimReservation(q: Queryable, fresh: NewReservation): Promise<{ created: boolean; reservation: Reservation }> {
  const { rows } = await q.query<Row>(
    `INSERT INTO reservations (order_id, status, reason, expires_at)
     VALUES ($1, $2, $3, CASE WHEN $4::bigint IS NULL THEN NULL ELSE now() + $4::bigint * interval '1 millisecond' END)
     ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
    [fresh.orderId, fresh.status, fresh.status === 'released' ? fresh.reason : null, fresh.status === 'held' ? fresh.ttlMs : null],
  );
  if (rows[0]) return { created: true, reservation: (await withLines(q, rows))[0]! };
  const existing = await lockReservation(q, fresh.orderId);
  if (!existing) throw new Error(`the reservation of order ${fresh.orderId} vanished while being claimed`);
  return { created: false, reservation: existing };
}

/** Stores an order's lines as it gave them, numbered in order. */
export async function insertLines(q: Queryable, orderId: string, lines: readonly ItemQuantity[]): Promise<void> {
  await q.query(
    `INSERT INTO reservation_lines (order_id, line_no, product_id, quantity)
     SELECT $1, l.line_no, l.product_id, l.quantity
     FROM unnest($2::uuid[], $3::int[]) WITH ORDINALITY AS l (product_id, quantity, line_no)`,
    [orderId, lines.map((l) => l.productId), lines.map((l) => l.quantity)],
  );
}

/** Records that the order got nothing, and why. */
export async function markFailed(q: Queryable, orderId: string, reason: string, shortages: readonly Shortage[]): Promise<void> {
  await q.query(
    "UPDATE reservations SET status = 'failed', reason = $2, shortages = $3, expires_at = NULL, updated_at = now() WHERE order_id = $1",
    [orderId, reason, JSON.stringify(shortages)],
  );
}

/** Records that the order's units are sold. */
export async function markCommitted(q: Queryable, orderId: string): Promise<void> {
  await q.query("UPDATE reservations SET status = 'committed', reason = NULL, expired = false, updated_at = now() WHERE order_id = $1", [orderId]);
}

/** Records that the orders' units went back to the available stock. */
export async function markReleased(q: Queryable, orderIds: readonly string[], reason: string, expired: boolean): Promise<void> {
  await q.query(
    "UPDATE reservations SET status = 'released', reason = $2, expired = $3, updated_at = now() WHERE order_id = ANY($1::uuid[])",
    [orderIds, reason, expired],
  );
}

/**
 * Claims up to `limit` held reservations past their expiry, locked. SKIP LOCKED lets replicas
 * sweep side by side, and leaves alone a reservation that a command is handling right now.
 */
export async function claimExpired(q: Queryable, limit: number): Promise<Reservation[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM reservations WHERE status = 'held' AND expires_at <= now()
     ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return withLines(q, rows);
}
