import { Link } from 'react-router';
import type { CategoryList, ProductPage } from '@emporium/contracts/catalog';
import type { OrderPage } from '@emporium/contracts/orders';
import type { Recommendation } from '@emporium/contracts/recommendations';
import { money } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { OrderStatusBadge } from '../../components/shop-order-status.tsx';
import { ProductCard } from '../../components/shop-product-card.tsx';
import { DateTime } from '../../components/shop-time.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

/** GET /dashboard, as the gateway gathers it. */
interface Dashboard {
  recentOrders: OrderPage['data'];
  recommendations: Recommendation[];
  notes: string[];
}

/** The front page: a welcome, the categories, the newest products and, once signed in, the shopper's own corner. */
export function Home() {
  const { user } = useAuth();
  return (
    <div className="shop-home">
      <section className="shop-hero">
        <h1>{user ? `Welcome back, ${user.name}` : 'Welcome to Emporium'}</h1>
        <p>Coffee and tea, books, audio, and good things for the kitchen, the desk and the outdoors.</p>
        <Link className="button" to="/products">Browse all products</Link>
      </section>
      {user && <DashboardPanel />}
      <Categories />
      <NewArrivals />
    </div>
  );
}

/** The categories with their product counts, each a link to its products. */
function Categories() {
  const { data, error, loading, reload } = useApi<CategoryList>('/categories');
  return (
    <section aria-labelledby="home-categories">
      <h2 id="home-categories">Categories</h2>
      {loading && !data ? <Loading what="Loading categories" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : (
        <ul className="shop-categories">
          {data!.data.map((c) => (
            <li key={c.id}>
              <Link to={`/products?category=${encodeURIComponent(c.slug)}`}>
                {c.name} <span className="shop-count">{c.productCount}<span className="shop-sr"> products</span></span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The twelve newest products. */
function NewArrivals() {
  const { data, error, loading, reload } = useApi<ProductPage>('/products?limit=12&sort=-createdAt');
  return (
    <section aria-labelledby="home-new">
      <div className="shop-section-head">
        <h2 id="home-new">New arrivals</h2>
        <Link to="/products?sort=-createdAt">See all</Link>
      </div>
      {loading && !data ? <Loading what="Loading products" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : data!.data.length === 0 ? (
        <Empty title="The shelves are empty for now." />
      ) : (
        <div className="grid shop-grid">{data!.data.map((p) => <ProductCard key={p.id} product={p} level={3} />)}</div>
      )}
    </section>
  );
}

/** Whether the dashboard's `part` could not be gathered (its note starts with the part's name). */
const failed = (dashboard: Dashboard, part: string) => dashboard.notes.some((n) => n.startsWith(`${part}:`));

/** The signed-in shopper's recent orders and suggestions, from GET /dashboard. */
function DashboardPanel() {
  const { data, error, loading, reload } = useApi<Dashboard>('/dashboard');
  return (
    <section className="card shop-dashboard" aria-labelledby="home-yours">
      <h2 id="home-yours">Your corner</h2>
      {loading && !data ? <Loading what="Loading your orders" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : (
        <>
          {data!.notes.length > 0 && (
            <div className="shop-notes" role="status">
              <p>Some of this page could not be loaded just now:</p>
              <ul>{data!.notes.map((n) => <li key={n}>{n}</li>)}</ul>
              <button type="button" className="secondary" onClick={reload}>Try again</button>
            </div>
          )}
          <div className="shop-dashboard-cols">
            <div>
              <h3>Recent orders</h3>
              {data!.recentOrders.length === 0 ? <p className="muted">{failed(data!, 'recentOrders') ? 'Your orders cannot be shown right now.' : 'No orders yet.'}</p> : (
                <ul className="shop-mini-list">
                  {data!.recentOrders.map((o) => (
                    <li key={o.id}>
                      <Link to={`/orders/${o.id}`}>Order {o.id.slice(0, 8)}</Link>
                      <DateTime iso={o.createdAt} dateOnly className="muted" />
                      <span className="price">{money(o.total)}</span>
                      <OrderStatusBadge status={o.status} />
                    </li>
                  ))}
                </ul>
              )}
              <Link to="/orders">All orders</Link>
            </div>
            <div>
              <h3>You might also like</h3>
              {data!.recommendations.length === 0 ? <p className="muted">{failed(data!, 'recommendations') ? 'Suggestions cannot be shown right now.' : 'Suggestions appear after your first order.'}</p> : (
                <ul className="shop-mini-list">
                  {data!.recommendations.map((r) => <li key={r.productId}><Link to={`/products/${r.productId}`}>{r.name}</Link></li>)}
                </ul>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
