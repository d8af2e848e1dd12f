import type { Queryable } from '@emporium/kit';
import type { OrderHistoryEntry, OrderStatus } from '@emporium/contracts/orders';

/** One projected status change. */
export interface HistoryRow {
  eventId: string;
  orderId: string;
  status: OrderStatus;
  note: string | null;
  at: string;
}

/** Records a status change; a repeat of the same event changes nothing. */
export async function insertHistory(q: Queryable, h: HistoryRow): Promise<void> {
  await q.query('INSERT INTO order_history (event_id, order_id, status, note, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [h.eventId, h.orderId, h.status, h.note, h.at]);
}

/** An order's status changes, oldest first. */
export async function historyOf(q: Queryable, orderId: string): Promise<OrderHistoryEntry[]> {
  const { rows } = await q.query<{ status: OrderStatus; note: string | null; at: Date | string }>(
    'SELECT status, note, at FROM order_history WHERE order_id = $1 ORDER BY at, event_id',
    [orderId],
  );
  return rows.map((r) => ({ status: r.status, note: r.note, at: new Date(r.at).toISOString() }));
}

/** Empties the read model, before a rebuild. */
export async function clearHistory(q: Queryable): Promise<void> {
  await q.query('DELETE FROM order_history');
}

/** Every event orders published of the given types, oldest first, from the outbox (which keeps them as the event log). */
export async function publishedEvents(q: Queryable, types: readonly string[]): Promise<Array<{ envelope: unknown }>> {
  const { rows } = await q.query<{ envelope: unknown }>('SELECT envelope FROM outbox WHERE type = ANY($1::text[]) ORDER BY seq', [types]);
  return rows.map((r) => ({ envelope: typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope }));
}
