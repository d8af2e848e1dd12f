import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { Cart as CartBody, CartLine } from '@emporium/contracts/cart';
import { api, money } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { FormProblem } from '../../components/shop-form.tsx';
import { QuantityStepper } from '../../components/shop-quantity.tsx';
import { SignInLink } from '../../components/shop-signin-link.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

/** The shopper's cart: lines they can change or remove, the total, and the way to checkout. */
export function Cart() {
  const { user, ready } = useAuth();
  if (!ready) return <Loading />;
  if (!user) {
    return (
      <>
        <h1>Your cart</h1>
        <div className="notice"><p><SignInLink>Sign in to see your cart</SignInLink>. Your cart is kept with your account.</p></div>
      </>
    );
  }
  return <CartView />;
}

/** The signed-in shopper's cart, kept in step with each change the cart service answers. */
function CartView() {
  const loaded = useApi<CartBody>('/cart');
  const [cart, setCart] = useState<CartBody>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => setCart(loaded.data), [loaded.data]);

  /** Sends one change and shows the cart it answers; one change at a time. */
  async function change(productId: string, request: { method: string; body?: unknown }) {
    if (busy) return;
    setBusy(productId);
    setError(undefined);
    try {
      setCart(await api<CartBody>(`/cart/items/${encodeURIComponent(productId)}`, request));
      // The removed line took the focus with it: put it back at the top of the cart.
      if (request.method === 'DELETE') heading.current?.focus();
    } catch (err) {
      setError(err);
      loaded.reload();
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <div className="shop-cart">
      <h1 ref={heading} tabIndex={-1}>Your cart</h1>
      {loaded.loading && !cart ? <Loading what="Loading your cart" /> : loaded.error && !cart ? <ErrorBox error={loaded.error} retry={loaded.reload} /> : cart && cart.items.length === 0 ? (
        <Empty title="Your cart is empty.">
          <p><Link to="/products">Find something you like</Link></p>
        </Empty>
      ) : cart && (
        <>
          <FormProblem error={error} />
          <ul className="shop-lines">
            {cart.items.map((line) => (
              <CartLineRow
                key={line.productId}
                line={line}
                busy={busy === line.productId}
                onQuantity={(quantity) => void change(line.productId, { method: 'PATCH', body: { quantity } })}
                onRemove={() => void change(line.productId, { method: 'DELETE' })}
              />
            ))}
          </ul>
          <div className="shop-cart-foot">
            <p className="shop-total">
              <span>Total ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'})</span>
              <span className="price">{money(cart.total)}</span>
            </p>
            <Link className="button" to="/checkout">Checkout</Link>
          </div>
        </>
      )}
    </div>
  );
}

/** One cart line: the product, its unit price, an editable quantity, the line total and a remove button. */
function CartLineRow({ line, busy, onQuantity, onRemove }: { line: CartLine; busy: boolean; onQuantity: (quantity: number) => void; onRemove: () => void }) {
  return (
    <li className="shop-line" aria-busy={busy}>
      <div className="shop-line-name">
        <Link to={`/products/${line.productId}`}>{line.name}</Link>
        <span className="muted">{money(line.unitPrice)} each</span>
      </div>
      <QuantityStepper value={line.quantity} label={`Quantity of ${line.name}`} onCommit={onQuantity} />
      <span className="price shop-line-total">{money(line.lineTotal)}</span>
      <button type="button" className="secondary shop-remove" onClick={onRemove} aria-label={`Remove ${line.name}`}>Remove</button>
    </li>
  );
}
