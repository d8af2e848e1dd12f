import type { Queryable } from '@emporium/kit';
import type { Money } from '@emporium/contracts/common';
import type { DeclineCode, Payment, PaymentStatus } from '@emporium/contracts/payments';

/** A payment as stored, with what the API does not show. */
export interface PaymentRecord {
  id: string;
  orderId: string;
  /** Null only on a tombstone, left by a cancel that came before any authorize. */
  userId: string | null;
  amount: Money;
  status: PaymentStatus;
  cardLast4: string;
  declineCode: DeclineCode | null;
  declineMessage: string | null;
  providerReference: string | null;
  refundedAmount: number;
  cancelReason: string | null;
  refundReason: string | null;
  refundedByAdmin: boolean | null;
  createdAt: string;
  updatedAt: string;
}

interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  card_last4: string;
  decline_code: DeclineCode | null;
  decline_message: string | null;
  provider_reference: string | null;
  refunded_amount: number;
  cancel_reason: string | null;
  refund_reason: string | null;
  refunded_by_admin: boolean | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = `id, order_id, user_id, amount, currency, status, card_last4, decline_code, decline_message, provider_reference,
  refunded_amount, cancel_reason, refund_reason, refunded_by_admin, created_at, updated_at`;

function toRecord(r: PaymentRow): PaymentRecord {
  return {
    id: r.id,
    orderId: r.order_id,
    userId: r.user_id,
    amount: { amount: Number(r.amount), currency: r.currency },
    status: r.status,
    cardLast4: r.card_last4,
    declineCode: r.decline_code,
    declineMessage: r.decline_message,
    providerReference: r.provider_reference,
    refundedAmount: Number(r.refunded_amount),
    cancelReason: r.cancel_reason,
    refundReason: r.refund_reason,
    refundedByAdmin: r.refunded_by_admin,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The payment as its owner and admins see it; tombstones are never shown, so the user is known. */
export function toPayment(p: PaymentRecord): Payment {
  return {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId!,
    amount: p.amount,
    status: p.status,
    cardLast4: p.cardLast4,
    declineCode: p.declineCode,
    providerReference: p.providerReference,
    refundedAmount: { amount: p.refundedAmount, currency: p.amount.currency },
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** The order's payment, locked until the transaction ends, or undefined when it has none. */
export async function lockPaymentOfOrder(q: Queryable, orderId: string): Promise<PaymentRecord | undefined> {
  const { rows } = await q.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1 FOR UPDATE`, [orderId]);
  return rows[0] && toRecord(rows[0]);
}

/** A payment by id, locked until the transaction ends. */
export async function lockPayment(q: Queryable, id: string): Promise<PaymentRecord | undefined> {
  const { rows } = await q.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/** A new payment for an order. */
export interface NewPayment {
  orderId: string;
  userId: string | null;
  amount: Money;
  status: PaymentStatus;
  cardLast4: string;
  declineCode?: DeclineCode;
  declineMessage?: string;
  cancelReason?: string;
}

/**
 * Inserts the order's payment, or returns undefined when the order already has one (another
 * command for it committed first): the caller then locks that one and goes on from there.
 */
export async function insertPayment(q: Queryable, p: NewPayment): Promise<PaymentRecord | undefined> {
  const { rows } = await q.query<PaymentRow>(
    `INSERT INTO payments (order_id, user_id, amount, currency, status, card_last4, decline_code, decline_message, cancel_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (order_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [p.orderId, p.userId, p.amount.amount, p.amount.currency, p.status, p.cardLast4, p.declineCode ?? null, p.declineMessage ?? null, p.cancelReason ?? null],
  );
  return rows[0] && toRecord(rows[0]);
}

/** The fields of a payment that change after it is created. */
export interface PaymentChange {
  status?: PaymentStatus;
  declineCode?: DeclineCode;
  declineMessage?: string;
  providerReference?: string;
  refundedAmount?: number;
  cancelReason?: string;
  refundReason?: string;
  refundedByAdmin?: boolean;
}

const CHANGE_COLUMNS: Record<keyof PaymentChange, string> = {
  status: 'status',
  declineCode: 'decline_code',
  declineMessage: 'decline_message',
  providerReference: 'provider_reference',
  refundedAmount: 'refunded_amount',
  cancelReason: 'cancel_reason',
  refundReason: 'refund_reason',
  refundedByAdmin: 'refunded_by_admin',
};

/** Applies `change` to a payment the caller has locked, and returns it as it now is. */
export async function updatePayment(q: Queryable, id: string, change: PaymentChange): Promise<PaymentRecord> {
  const entries = Object.entries(change).filter(([, v]) => v !== undefined) as Array<[keyof PaymentChange, unknown]>;
  const sets = entries.map(([k], i) => `${CHANGE_COLUMNS[k]} = $${i + 2}`);
  const { rows } = await q.query<PaymentRow>(
    `UPDATE payments SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...entries.map(([, v]) => v)],
  );
  return toRecord(rows[0]!);
}

/** Which payments to list: one user's (or everyone's when `userId` is undefined), optionally of one order. */
export interface PaymentFilter {
  userId?: string;
  orderId?: string;
}

/** A slice of payments, newest first, and how many match in all. Tombstones are left out. */
export async function listPayments(q: Queryable, filter: PaymentFilter, page: { limit: number; offset: number }): Promise<{ items: Payment[]; total: number }> {
  const where = 'user_id IS NOT NULL AND ($1::uuid IS NULL OR user_id = $1::uuid) AND ($2::uuid IS NULL OR order_id = $2::uuid)';
  const params = [filter.userId ?? null, filter.orderId ?? null];
  const { rows } = await q.query<PaymentRow & { total: number }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM payments WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
    [...params, page.limit, page.offset],
  );
  if (rows[0]) return { items: rows.map((r) => toPayment(toRecord(r))), total: Number(rows[0].total) };
  if (page.offset === 0) return { items: [], total: 0 };
  // Past the last page: the window count saw no rows, so count on its own.
  const count = await q.query<{ total: number }>(`SELECT count(*) AS total FROM payments WHERE ${where}`, params);
  return { items: [], total: Number(count.rows[0]?.total ?? 0) };
}
