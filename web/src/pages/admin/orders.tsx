import { useState } from 'react';
import { Link } from 'react-router';
import type { OrderPage, OrderStatus } from '@emporium/contracts/orders';
import type { Payment, PaymentPage } from '@emporium/contracts/payments';
import { api, money } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { ActionButton } from '../../components/admin-action.tsx';
import { EmptyList, Pager, queryString, StatusFilter, TableWrap, useListParams } from '../../components/admin-list.tsx';
import { AdminHeader } from '../../components/admin-nav.tsx';
import { formatDateTime, ShortId, StatusBadge } from '../../components/admin-status.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

type OrderRow = OrderPage['data'][number];

const STATUSES: readonly OrderStatus[] = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const CANCELLABLE: readonly OrderStatus[] = ['PENDING', 'CONFIRMED'];

/** Every customer's orders, newest first, filtered by status (and customer), with Cancel and Refund. */
export function AdminOrders() {
  const list = useListParams();
  const status = list.get('status');
  const userId = list.get('userId');
  // Checkout runs on its own, so the list follows it.
  const orders = useApi<OrderPage>(`/orders${queryString({ status, userId, page: list.page })}`, { refreshMs: 5000 });
  const [notice, setNotice] = useState('');

  const done = (text: string) => {
    setNotice(text);
    orders.reload();
  };

  return (
    <div className="admin">
      <AdminHeader title="Orders" />
      <div className="admin-toolbar">
        <StatusFilter value={status} options={STATUSES} onChange={(s) => list.update({ status: s })} />
        {userId && (
          <p className="admin-chip">
            Customer <ShortId id={userId} />
            <button type="button" className="link" onClick={() => list.update({ userId: '' })}>Show every customer</button>
          </p>
        )}
        <button type="button" className="secondary" onClick={orders.reload}>Refresh</button>
      </div>
      <p className="admin-live" role="status">{notice}</p>
      {orders.error && orders.data && <ErrorBox error={orders.error} retry={orders.reload} />}
      {!orders.data ? (
        orders.error ? <ErrorBox error={orders.error} retry={orders.reload} /> : <Loading what="Loading orders" />
      ) : orders.data.data.length === 0 ? (
        <EmptyList page={list.page} onFirstPage={() => list.setPage(1)}>{status || userId ? 'No order matches this filter.' : 'No one has ordered yet.'}</EmptyList>
      ) : (
        <>
          <OrderTable orders={orders.data.data} busy={orders.loading} onCustomer={(id) => list.update({ userId: id })} onDone={done} />
          <Pager pagination={orders.data.pagination} noun="orders" onPage={list.setPage} />
        </>
      )}
    </div>
  );
}

function OrderTable({ orders, busy, onCustomer, onDone }: { orders: OrderRow[]; busy: boolean; onCustomer(id: string): void; onDone(text: string): void }) {
  return (
    <TableWrap label="Orders" busy={busy}>
      <thead>
        <tr>
          <th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Customer</th><th scope="col" className="num">Total</th>
          <th scope="col">Status</th><th scope="col">Payment</th><th scope="col">Shipment</th><th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr key={o.id}>
            <td><Link to={`/orders/${o.id}`}><span className="admin-sr">Order </span><ShortId id={o.id} /></Link></td>
            <td className="admin-nowrap">{formatDateTime(o.createdAt)}</td>
            <td>
              <button type="button" className="link" onClick={() => onCustomer(o.userId)}>
                <span className="admin-sr">Show orders of customer </span><ShortId id={o.userId} />
              </button>
            </td>
            <td className="num">{money(o.total)}</td>
            <td>
              <StatusBadge status={o.status} />
              {o.cancellationReason && <div className="muted admin-small admin-reason">{o.cancellationReason}</div>}
            </td>
            <td><StatusBadge status={o.payment?.status} /></td>
            <td><StatusBadge status={o.shipment?.status} /></td>
            <td><OrderActions order={o} onDone={onDone} /></td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}

/** Refunds the order's captured payment in full (there is at most one payment per order). */
async function refund(orderId: string): Promise<Payment> {
  const payments = await api<PaymentPage>(`/payments${queryString({ orderId })}`);
  const captured = payments.data.find((p) => p.status === 'captured');
  if (!captured) throw new Error('This order has no captured payment to refund.');
  return api<Payment>(`/payments/${captured.id}/refund`, { method: 'POST' });
}

function OrderActions({ order, onDone }: { order: OrderRow; onDone(text: string): void }) {
  const short = order.id.slice(0, 8);
  const cancellable = CANCELLABLE.includes(order.status);
  const refundable = order.payment?.status === 'captured';
  if (!cancellable && !refundable) return <span className="muted">—</span>;
  return (
    <div className="admin-actions">
      {cancellable && (
        <ActionButton
          variant="danger"
          label={`order ${short}`}
          confirm={`Cancel order ${short} (${money(order.total)})? Its stock is released and any charge is refunded.`}
          run={() => api(`/orders/${order.id}/cancel`, { method: 'POST' })}
          onDone={() => onDone(`Order ${short}: cancellation requested.`)}
        >
          Cancel
        </ActionButton>
      )}
      {refundable && (
        <ActionButton
          variant="secondary"
          label={`order ${short}`}
          confirm={`Refund ${money(order.total)} to the card ending ${order.payment?.cardLast4 ?? ''} for order ${short}? An order that has not shipped is cancelled too.`}
          run={() => refund(order.id)}
          onDone={() => onDone(`Order ${short}: refund requested.`)}
        >
          Refund
        </ActionButton>
      )}
    </div>
  );
}
