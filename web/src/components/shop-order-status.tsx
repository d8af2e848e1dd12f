import type { OrderHistoryEntry, OrderStatus } from '@emporium/contracts/orders';
import { DateTime } from './shop-time.tsx';

/** An order's status as a coloured badge. */
export function OrderStatusBadge({ status, testId }: { status: OrderStatus; testId?: string }) {
  return <span className={`badge shop-status ${status}`} data-testid={testId}>{status}</span>;
}

/** What each status means to the shopper. */
const MEANING: Record<OrderStatus, string> = {
  PENDING: 'Order received; checking stock and payment',
  CONFIRMED: 'Paid and confirmed; waiting to be dispatched',
  SHIPPED: 'On its way',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
};

/** An order's history, oldest first: each status with when it happened and its note. */
export function OrderTimeline({ history }: { history: readonly OrderHistoryEntry[] }) {
  return (
    <ol className="shop-timeline">
      {history.map((entry) => (
        <li key={`${entry.status}-${entry.at}`} className={entry.status}>
          <span className="shop-timeline-status">{MEANING[entry.status]}</span>
          <DateTime iso={entry.at} className="muted" />
          {entry.note && <span className="shop-timeline-note">{entry.note}</span>}
        </li>
      ))}
    </ol>
  );
}
