import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { Order, OrderHistoryEntry, OrderStatus } from '@emporium/contracts/orders';
import { api, ApiError, money, streamEvents } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { FormProblem } from '../../components/shop-form.tsx';
import { OrderStatusBadge, OrderTimeline } from '../../components/shop-order-status.tsx';
import { DateTime } from '../../components/shop-time.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

/** The statuses after which the stream ends and nothing changes any more. */
const TERMINAL: ReadonlySet<OrderStatus> = new Set(['CANCELLED', 'DELIVERED']);
type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended';

const entryKey = (e: OrderHistoryEntry) => `${e.status}@${e.at}`;

/**
 * Follows `/orders/:id/events`: collects each `status` event once (a new connection replays the
 * history from the first), calls `onNews` for each new one, and reconnects with a growing pause
 * when the stream drops before a terminal status.
 */
function useOrderStream(id: string, onNews: () => void): { history: OrderHistoryEntry[]; state: StreamState } {
  const [history, setHistory] = useState<OrderHistoryEntry[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const news = useRef(onNews);
  news.current = onNews;

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const known = new Set<string>();
    let terminal = false;
    // A new connection replays the whole history at once: one reload for the burst is enough.
    let pending: ReturnType<typeof setTimeout> | undefined;
    const announce = () => {
      clearTimeout(pending);
      pending = setTimeout(() => news.current(), 150);
    };
    setHistory([]);

    void (async () => {
      for (let attempt = 0; !signal.aborted && !terminal; attempt++) {
        setState(attempt === 0 ? 'connecting' : 'reconnecting');
        try {
          await streamEvents(`/orders/${encodeURIComponent(id)}/events`, (event, data) => {
            if (event !== 'status') return;
            const entry = data as OrderHistoryEntry;
            attempt = 0;
            setState('live');
            if (TERMINAL.has(entry.status)) terminal = true;
            if (known.has(entryKey(entry))) return;
            known.add(entryKey(entry));
            setHistory((prev) => [...prev, entry]);
            announce();
          }, signal);
        } catch (err) {
          if (signal.aborted) return;
          // The order is not there, or not ours: the page already says so; retrying will not help.
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) break;
        }
        if (terminal || signal.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 10_000)));
      }
      if (!signal.aborted) setState('ended');
    })();
    return () => {
      controller.abort();
      clearTimeout(pending);
    };
  }, [id]);

  return { history, state };
}

/** The order's history: what GET answered, with what the stream has added since, oldest first. */
function mergeHistory(loaded: readonly OrderHistoryEntry[], live: readonly OrderHistoryEntry[]): OrderHistoryEntry[] {
  const byKey = new Map<string, OrderHistoryEntry>();
  for (const e of [...loaded, ...live]) byKey.set(entryKey(e), e);
  return [...byKey.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** One order, kept up to date over Server-Sent Events: its status, timeline, items, address, payment and shipment. */
export function OrderPage() {
  const { id = '' } = useParams();
  const { data: order, error, loading, reload } = useApi<Order>(`/orders/${encodeURIComponent(id)}`);
  const stream = useOrderStream(id, reload);
  const live = order ? (mergeHistory(order.history, stream.history).at(-1)?.status ?? order.status) : undefined;
  useCatchUp(order, live, reload);

  if (loading && !order) return <Loading what="Loading the order" />;
  if (error && !order) {
    if (error.status === 404 || error.status === 400) {
      return <div className="notice"><h1>Order not found</h1><p>There is no such order in your account.</p><p><Link to="/orders">Your orders</Link></p></div>;
    }
    return <ErrorBox error={error} retry={reload} />;
  }
  if (!order) return null;

  const history = mergeHistory(order.history, stream.history);
  const status = history.at(-1)?.status ?? order.status;
  const reason = order.cancellationReason ?? history.findLast((e) => e.status === 'CANCELLED')?.note ?? null;

  return (
    <div className="shop-order">
      <p className="shop-breadcrumb"><Link to="/orders">← Your orders</Link></p>
      <div className="shop-order-head">
        <h1>Order {order.id.slice(0, 8)}</h1>
        <p role="status" className="shop-order-status">
          <span className="shop-sr">Status: </span>
          <OrderStatusBadge status={status} testId="order-status" />
        </p>
        <LiveNote state={stream.state} terminal={TERMINAL.has(status)} />
      </div>
      <p className="muted">Placed <DateTime iso={order.createdAt} /> · {money(order.total)}</p>

      {status === 'CANCELLED' && (
        <div className="shop-cancelled">
          <p><strong>This order was cancelled.</strong> {reason && <>Reason: <span data-testid="cancellation-reason">{reason}</span></>}</p>
          <p className="muted">Nothing is charged for a cancelled order; any payment taken is refunded.</p>
        </div>
      )}
      {(status === 'PENDING' || status === 'CONFIRMED') && <CancelOrder orderId={order.id} onDone={reload} />}

      <div className="shop-order-cols">
        <div>
          <OrderItems order={order} />
          <section aria-labelledby="order-timeline">
            <h2 id="order-timeline">Timeline</h2>
            <OrderTimeline history={history} />
          </section>
        </div>
        <OrderDetails order={order} status={status} />
      </div>
    </div>
  );
}

/** The statuses a completed checkout saga leads to: stock committed, shipment scheduled, payment captured. */
const PAID: ReadonlySet<OrderStatus> = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
const UNSETTLED = new Set([null, undefined, 'pending', 'authorized']);

/** Whether the order as loaded is behind the status the stream announced: its payment and shipment details are still coming. */
function behind(order: Order, status: OrderStatus): boolean {
  return order.status !== status || (PAID.has(status) && (!order.shipment || UNSETTLED.has(order.payment?.status)));
}

/**
 * Reloads the order while its details lag the live status. A status event comes from the
 * order's history; the payment and the shipment are read models fed by other services' events,
 * which can land a moment later. Bounded: a few tries a second apart, started again by each new
 * status.
 */
function useCatchUp(order: Order | undefined, status: OrderStatus | undefined, reload: () => void): void {
  const lagging = order !== undefined && status !== undefined && behind(order, status);
  const tries = useRef(0);
  useEffect(() => {
    tries.current = 0;
  }, [status]);
  useEffect(() => {
    if (!lagging || tries.current >= 10) return;
    const timer = setTimeout(() => {
      tries.current += 1;
      reload();
    }, 1_000);
    return () => clearTimeout(timer);
  }, [lagging, order, reload]);
}

/** Whether the page is following the order live. */
function LiveNote({ state, terminal }: { state: StreamState; terminal: boolean }) {
  if (terminal) return null;
  if (state === 'live') return <span className="shop-live"><span className="shop-live-dot" aria-hidden="true" />Updating live</span>;
  if (state === 'reconnecting') return <span className="shop-live off">Reconnecting…</span>;
  if (state === 'ended') return <span className="shop-live off">Live updates stopped; reload the page to see changes.</span>;
  return null;
}

/** The "Cancel order" button, with the API's refusal if there is one. */
function CancelOrder({ orderId, onDone }: { orderId: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState(false);

  async function cancel() {
    setBusy(true);
    setError(undefined);
    try {
      await api(`/orders/${encodeURIComponent(orderId)}/cancel`, { method: 'POST', body: {} });
      setSent(true);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="shop-cancel">
      <button type="button" className="danger" disabled={busy || sent} onClick={() => void cancel()}>Cancel order</button>
      <span role="status" className="muted">{sent ? 'Cancelling… the stock is released and any payment refunded.' : ''}</span>
      <FormProblem error={error} />
    </div>
  );
}

/** The order's lines, its shipping and its total. */
function OrderItems({ order }: { order: Order }) {
  return (
    <section aria-labelledby="order-items">
      <h2 id="order-items">Items</h2>
      <div className="table-wrap">
        <table className="shop-items">
          <thead><tr><th scope="col">Product</th><th scope="col" className="num">Qty</th><th scope="col" className="num">Price</th><th scope="col" className="num">Total</th></tr></thead>
          <tbody>
            {order.items.map((l) => (
              <tr key={l.productId}>
                <td><Link to={`/products/${l.productId}`}>{l.name}</Link></td>
                <td className="num">{l.quantity}</td>
                <td className="num">{money(l.unitPrice)}</td>
                <td className="num">{money(l.lineTotal)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {order.shipping && (
              <tr><th scope="row" colSpan={3}>Shipping <span className="muted">({order.shipping.service}, {order.shipping.carrier})</span></th><td className="num">{money(order.shipping.price)}</td></tr>
            )}
            <tr><th scope="row" colSpan={3}>Total</th><td className="num price">{money(order.total)}</td></tr>
          </tfoot>
        </table>
      </div>
    </section>
  );
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const regions = new Intl.DisplayNames(['en'], { type: 'region' });

/** A country's name from its ISO code ("US" → "United States"), or the code when unknown. */
function countryName(code: string): string {
  try {
    return regions.of(code) ?? code;
  } catch {
    return code;
  }
}

/** What the shipment panel says before the order has a shipment, from the live status. */
function noShipmentYet(status: OrderStatus): string {
  if (status === 'CANCELLED') return 'Nothing was shipped.';
  if (PAID.has(status)) return 'Being scheduled with the carrier…';
  return 'Scheduled once the payment is authorized.';
}

/**
 * The payment's status as shown. A confirmed order's payment is captured (the saga's last step),
 * whatever a lagging read model still says; otherwise the payment's own status.
 */
function paymentStatus(order: Order, status: OrderStatus): string {
  const known = order.payment?.status;
  if (PAID.has(status) && UNSETTLED.has(known)) return 'Captured';
  return capitalize(known ?? 'waiting');
}

/** Where the order goes, how it is paid, and how it travels, following the live `status`. */
function OrderDetails({ order, status }: { order: Order; status: OrderStatus }) {
  const a = order.shippingAddress;
  return (
    <aside className="shop-order-details" aria-label="Delivery and payment">
      <section className="card">
        <h2>Shipping to</h2>
        <address>{a.name}<br />{a.line1}<br />{a.line2 && <>{a.line2}<br /></>}{a.city} {a.postalCode}<br />{countryName(a.country)}</address>
      </section>
      <section className="card">
        <h2>Shipment</h2>
        {order.shipment ? (
          <dl className="shop-dl">
            <dt>Carrier</dt><dd>{order.shipment.carrier}</dd>
            <dt>Tracking number</dt><dd><code>{order.shipment.trackingNumber}</code></dd>
            <dt>Status</dt><dd>{capitalize(order.shipment.status)}</dd>
          </dl>
        ) : <p className="muted" data-testid="shipment-pending">{noShipmentYet(status)}</p>}
      </section>
      <section className="card">
        <h2>Payment</h2>
        {order.payment ? (
          <dl className="shop-dl">
            <dt>Card</dt><dd>•••• {order.payment.cardLast4}</dd>
            <dt>Status</dt><dd data-testid="payment-status">{paymentStatus(order, status)}</dd>
          </dl>
        ) : <p className="muted">No payment yet.</p>}
      </section>
    </aside>
  );
}
