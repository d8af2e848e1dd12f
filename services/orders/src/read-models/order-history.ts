import type { Database, Messaging, Transaction } from '@emporium/kit';
import type { CloudEvent, EventDefinition } from '@emporium/contracts/events';
import { orderCancellationRefused, orderCancelled, orderConfirmed, orderDelivered, orderPlaced, orderShipped, type OrderStatus } from '@emporium/contracts/orders';
import { clearHistory, insertHistory, publishedEvents } from '../db/history.repository.ts';
import { OrderStatusFeed } from './status-feed.ts';

/** Each of orders' own events, with the status it records and the note shown beside it. */
const PROJECTIONS: ReadonlyArray<{ event: EventDefinition; status(data: Record<string, unknown>): OrderStatus; note(data: Record<string, unknown>): string | null }> = [
  { event: orderPlaced, status: () => 'PENDING', note: () => 'order placed' },
  { event: orderConfirmed, status: () => 'CONFIRMED', note: () => 'payment captured, stock committed, shipment scheduled' },
  { event: orderCancelled, status: () => 'CANCELLED', note: (d) => String(d.reason) },
  { event: orderShipped, status: () => 'SHIPPED', note: (d) => `${String(d.carrier)} tracking ${String(d.trackingNumber)}` },
  { event: orderDelivered, status: () => 'DELIVERED', note: () => 'delivered' },
  // Not a change of status: the order stays where it is, with a word on why it was not cancelled.
  { event: orderCancellationRefused, status: (d) => d.status as OrderStatus, note: (d) => `cancellation refused: ${String(d.reason)}` },
];
const byType = new Map(PROJECTIONS.map((p) => [p.event.type, p]));

/**
 * The order-history read model (CQRS): a row per status change, written only from orders' own
 * events, so it can be thrown away and rebuilt from the event log at any time. The log is the
 * outbox, which keeps these events past its retention (the rest of it is deleted once old).
 */
export class OrderHistoryProjection {
  constructor(
    private readonly db: Database,
    private readonly feed: OrderStatusFeed,
  ) {}

  /** Subscribes the projection to each event it records, and keeps those events in the outbox for a rebuild. */
  subscribe(messaging: Messaging): void {
    for (const { event } of PROJECTIONS) {
      messaging.keep(event);
      messaging.subscribe(event, `history-${event.type.replaceAll('.', '-')}`, (e, tx) => this.project(tx, e));
    }
  }

  /** Records one event; a repeat changes nothing. Streams are told once it commits. */
  async project(tx: Transaction, event: CloudEvent): Promise<void> {
    const projection = byType.get(event.type);
    if (!projection) return;
    const data = event.data as Record<string, unknown>;
    const orderId = String(data.orderId);
    await insertHistory(tx, { eventId: event.id, orderId, status: projection.status(data), note: projection.note(data), at: event.time });
    await tx.query('SELECT pg_notify($1, $2)', [OrderStatusFeed.CHANNEL, orderId]);
    tx.afterCommit(() => this.feed.announce(orderId));
  }

  /** Rebuilds the read model from every event orders ever published, in one transaction. Returns how many it replayed. */
  async rebuild(): Promise<number> {
    return this.db.transaction(async (tx) => {
      await clearHistory(tx);
      const events = await publishedEvents(tx, [...byType.keys()]);
      for (const { envelope } of events) await this.project(tx, envelope as CloudEvent);
      tx.afterCommit(() => this.feed.announceAll());
      return events.length;
    });
  }
}
