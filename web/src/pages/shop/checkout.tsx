import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Cart } from '@emporium/contracts/cart';
import type { Address } from '@emporium/contracts/common';
import type { PlacedOrder } from '@emporium/contracts/orders';
import { api, ApiError, money } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { Field, FormProblem, fieldErrors, useFocusInvalid } from '../../components/shop-form.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

const COUNTRIES: Array<[string, string]> = [
  ['US', 'United States'], ['CA', 'Canada'], ['MX', 'Mexico'], ['GB', 'United Kingdom'], ['IE', 'Ireland'],
  ['FR', 'France'], ['DE', 'Germany'], ['NL', 'Netherlands'], ['ES', 'Spain'], ['IT', 'Italy'], ['AU', 'Australia'], ['JP', 'Japan'],
];

const TEST_CARDS: Array<[string, string]> = [
  ['4242424242424242', 'approved'],
  ['4000000000000002', 'declined'],
  ['4000000000009995', 'insufficient funds'],
  ['4000000000000119', 'provider timeout'],
];

/** A fresh Idempotency-Key; crypto.randomUUID needs a secure context, so it falls back to random bytes. */
function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checkout: the cart's summary, the shipping address and the card, then "Place order" orders the cart. */
export function Checkout() {
  const { data: cart, error, loading, reload } = useApi<Cart>('/cart');
  return (
    <div className="shop-checkout">
      <h1>Checkout</h1>
      {loading && !cart ? <Loading what="Loading your cart" /> : error && !cart ? <ErrorBox error={error} retry={reload} /> : cart!.items.length === 0 ? (
        <Empty title="Your cart is empty, so there is nothing to order yet.">
          <p><Link to="/products">Browse the products</Link></p>
        </Empty>
      ) : (
        <div className="shop-checkout-cols">
          <CartSummary cart={cart!} />
          <CheckoutForm cart={cart!} />
        </div>
      )}
    </div>
  );
}

/** What is being ordered: each line and the total. */
function CartSummary({ cart }: { cart: Cart }) {
  return (
    <section className="card shop-summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Order summary</h2>
      <ul className="shop-summary-lines">
        {cart.items.map((l) => (
          <li key={l.productId}>
            <span>{l.name} <span className="muted">× {l.quantity}</span></span>
            <span>{money(l.lineTotal)}</span>
          </li>
        ))}
      </ul>
      <p className="shop-total"><span>Total</span><span className="price">{money(cart.total)}</span></p>
      <p><Link to="/cart">Change the cart</Link></p>
    </section>
  );
}

/** The address and card form; one Idempotency-Key for as long as it is on screen, so a retry never orders twice. */
function CheckoutForm({ cart }: { cart: Cart }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const [key] = useState(newKey);
  const [address, setAddress] = useState<Address>({ name: user?.name ?? '', line1: '', line2: '', city: '', postalCode: '', country: 'US' });
  const [card, setCard] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const sending = useRef(false);
  const form = useRef<HTMLFormElement>(null);
  useFocusInvalid(form, error);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    setError(undefined);
    const shippingAddress: Address = { ...address, name: address.name.trim(), line1: address.line1.trim(), city: address.city.trim(), postalCode: address.postalCode.trim() };
    if (!address.line2?.trim()) delete shippingAddress.line2;
    try {
      const placed = await api<PlacedOrder>('/orders', {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: { shippingAddress, payment: { cardNumber: card.replace(/[\s-]/g, '') } },
      });
      void navigate(`/orders/${placed.id}`);
    } catch (err) {
      setError(err);
      sending.current = false;
      setBusy(false);
    }
  }

  const fields = fieldErrors(error);
  const wrongDigit = error instanceof ApiError && error.problem.code === 'ORDERS_INVALID_CARD';
  if (fields['payment.cardNumber']) fields['payment.cardNumber'] = wrongDigit ? 'This card number is not valid: check the digits.' : card.trim() ? 'Enter 12 to 19 digits, as on the card.' : 'Enter a card number.';
  const shown = ['shippingAddress.name', 'shippingAddress.line1', 'shippingAddress.line2', 'shippingAddress.city', 'shippingAddress.postalCode', 'shippingAddress.country', 'payment.cardNumber'];
  const text = (name: keyof Address, label: string, extra: { autoComplete: string; required?: boolean }) => (
    <Field label={label} error={fields[`shippingAddress.${name}`]}>
      {(props) => <input {...props} {...extra} value={address[name] ?? ''} onChange={(e) => setAddress({ ...address, [name]: e.target.value })} />}
    </Field>
  );

  return (
    <form ref={form} className="shop-checkout-form" noValidate onSubmit={(e) => void submit(e)} aria-busy={busy}>
      <fieldset>
        <legend>Shipping address</legend>
        {text('name', 'Name', { autoComplete: 'name', required: true })}
        {text('line1', 'Address line 1', { autoComplete: 'address-line1', required: true })}
        {text('line2', 'Address line 2 (optional)', { autoComplete: 'address-line2' })}
        <div className="shop-field-row">
          {text('city', 'City', { autoComplete: 'address-level2', required: true })}
          {text('postalCode', 'Postal code', { autoComplete: 'postal-code', required: true })}
        </div>
        <Field label="Country" error={fields['shippingAddress.country']}>
          {(props) => (
            <select {...props} autoComplete="country" value={address.country} onChange={(e) => setAddress({ ...address, country: e.target.value })}>
              {COUNTRIES.map(([code, name]) => <option key={code} value={code}>{name}</option>)}
            </select>
          )}
        </Field>
      </fieldset>
      <fieldset>
        <legend>Payment</legend>
        <Field label="Card number" error={fields['payment.cardNumber']} hint={<TestCards onPick={setCard} />}>
          {(props) => <input {...props} required inputMode="numeric" autoComplete="cc-number" placeholder="4242 4242 4242 4242" value={card} onChange={(e) => setCard(e.target.value)} />}
        </Field>
      </fieldset>
      <FormProblem error={error} shown={shown} />
      <div className="shop-place">
        <button type="submit" disabled={busy}>Place order</button>
        <span>Total <span className="price">{money(cart.total)}</span></span>
      </div>
      {busy && <p role="status" className="muted">Placing your order…</p>}
    </form>
  );
}

/** The fake provider's test cards; choosing one fills the card number. */
function TestCards({ onPick }: { onPick: (card: string) => void }) {
  return (
    <div className="shop-test-cards">
      <p>This shop takes only test cards:</p>
      <ul>
        {TEST_CARDS.map(([number, outcome]) => (
          <li key={number}>
            <button type="button" className="link" onClick={() => onPick(number)} aria-label={`Use test card ${number} (${outcome})`}><code>{number}</code></button>{' '}
            <span>{outcome}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
