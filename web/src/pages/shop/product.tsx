import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import type { Cart } from '@emporium/contracts/cart';
import type { Product } from '@emporium/contracts/catalog';
import type { RecommendationList } from '@emporium/contracts/recommendations';
import { api, money } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { Field, FormProblem, fieldErrors } from '../../components/shop-form.tsx';
import { StockNote } from '../../components/shop-product-card.tsx';
import { SignInLink } from '../../components/shop-signin-link.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

/** One product: its description, price and stock, a way to add it to the cart, and what is bought with it. */
export function ProductPage() {
  const { id = '' } = useParams();
  const { data: product, error, loading, reload } = useApi<Product>(`/products/${encodeURIComponent(id)}`);

  if (loading && !product) return <Loading what="Loading the product" />;
  if (error && !product) {
    if (error.status === 404 || error.status === 400) {
      return <div className="notice"><h1>Product not found</h1><p>This product does not exist or is no longer sold.</p><p><Link to="/products">Back to all products</Link></p></div>;
    }
    return <ErrorBox error={error} retry={reload} />;
  }
  if (!product) return null;

  return (
    <div className="shop-product">
      <nav aria-label="Breadcrumb" className="shop-breadcrumb">
        <Link to="/products">Products</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={`/products?category=${encodeURIComponent(product.category.slug)}`}>{product.category.name}</Link>
      </nav>
      <div className="shop-product-main">
        <div>
          <h1>{product.name}</h1>
          <p className="shop-product-description">{product.description}</p>
          <p className="muted">SKU {product.sku}</p>
        </div>
        <div className="card shop-buy">
          <p className="shop-buy-price price">{money(product.price)}</p>
          <p><StockNote available={product.stock.available} /></p>
          <AddToCart key={product.id} product={product} />
        </div>
      </div>
      <BoughtTogether productId={product.id} />
    </div>
  );
}

/** The quantity and the "Add to cart" button for a signed-in shopper; others are asked to sign in. */
function AddToCart({ product }: { product: Product }) {
  const { user, ready } = useAuth();
  const [quantity, setQuantity] = useState('1');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [added, setAdded] = useState<{ quantity: number; inCart: number }>();

  if (!ready) return null;
  if (!user) return <p><SignInLink className="button">Sign in to buy</SignInLink></p>;
  const soldOut = product.stock.available === 0;
  const max = Math.max(1, Math.min(99, product.stock.available));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setAdded(undefined);
    try {
      const n = Number(quantity);
      const cart = await api<Cart>('/cart/items', { method: 'POST', body: { productId: product.id, quantity: n } });
      setAdded({ quantity: n, inCart: cart.items.find((l) => l.productId === product.id)?.quantity ?? n });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fields = fieldErrors(error);
  return (
    <form className="shop-add" onSubmit={(e) => void submit(e)}>
      <Field label="Quantity" error={fields.quantity}>
        {(props) => <input {...props} type="number" inputMode="numeric" min={1} max={max} required value={quantity} disabled={soldOut} onChange={(e) => setQuantity(e.target.value)} />}
      </Field>
      <button type="submit" disabled={busy || soldOut}>{busy ? 'Adding…' : 'Add to cart'}</button>
      <FormProblem error={error} shown={['quantity']} />
      <div role="status" aria-live="polite">
        {added && <p className="shop-ok">Added {added.quantity} to your cart ({added.inCart} in total). <Link to="/cart">View cart</Link></p>}
      </div>
    </form>
  );
}

/** Products often ordered together with this one, from GET /recommendations. */
function BoughtTogether({ productId }: { productId: string }) {
  const { data, error, loading, reload } = useApi<RecommendationList>(`/recommendations?productId=${encodeURIComponent(productId)}`);
  return (
    <section aria-labelledby="bought-together" className="shop-together">
      <h2 id="bought-together">Bought together</h2>
      {loading && !data ? <Loading what="Loading suggestions" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : data!.data.length === 0 ? (
        <Empty title="Nothing yet.">
          <p className="muted">Once people order this with other things, you will find them here.</p>
        </Empty>
      ) : (
        <ul className="shop-mini-list">
          {data!.data.map((r) => (
            <li key={r.productId}>
              <Link to={`/products/${r.productId}`}>{r.name}</Link>
              <span className="muted">in {r.orders} {r.orders === 1 ? 'order' : 'orders'}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
