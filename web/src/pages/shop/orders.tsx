import { Link, useSearchParams } from 'react-router';
import type { OrderPage } from '@emporium/contracts/orders';
import { money } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { OrderStatusBadge } from '../../components/shop-order-status.tsx';
import { Pager, pageOf } from '../../components/shop-pager.tsx';
import { DateTime } from '../../components/shop-time.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

const PAGE_SIZE = 10;

/** The shopper's orders, newest first, each with its status and a link to follow it. */
export function Orders() {
  const [params] = useSearchParams();
  const page = pageOf(params);
  const { data, error, loading, reload } = useApi<OrderPage>(`/orders?page=${page}&limit=${PAGE_SIZE}`);
  // The service answers newest first; sorting here keeps that promise whatever it does.
  const orders = data ? [...data.data].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt)) : [];

  return (
    <div className="shop-orders">
      <h1>Your orders</h1>
      {loading && !data ? <Loading what="Loading your orders" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : orders.length === 0 ? (
        <Empty title={page > 1 ? 'There are no orders on this page.' : 'You have not ordered anything yet.'}>
          <p><Link to={page > 1 ? '/orders' : '/products'}>{page > 1 ? 'Back to the first page' : 'Start shopping'}</Link></p>
        </Empty>
      ) : (
        <>
          {error && <ErrorBox error={error} retry={reload} />}
          <ul className="shop-order-list">
            {orders.map((o) => {
              const count = o.items.reduce((n, l) => n + l.quantity, 0);
              return (
                <li key={o.id} className="card">
                  <div className="shop-order-list-main">
                    <Link to={`/orders/${o.id}`} className="shop-order-link">Order {o.id.slice(0, 8)}</Link>
                    <span className="muted"><DateTime iso={o.createdAt} /> · {count} {count === 1 ? 'item' : 'items'}</span>
                    <span className="muted shop-order-names">{o.items.map((l) => l.name).join(', ')}</span>
                  </div>
                  <div className="shop-order-list-side">
                    <span className="price">{money(o.total)}</span>
                    <OrderStatusBadge status={o.status} />
                  </div>
                </li>
              );
            })}
          </ul>
          <Pager page={data!.pagination.page} pages={data!.pagination.pages} params={params} />
        </>
      )}
    </div>
  );
}
