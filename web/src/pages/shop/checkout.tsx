import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Cart } from '@emporium/contracts/cart';
import type { Address, Money } from '@emporium/contracts/common';
import type { PlacedOrder } from '@emporium/contracts/orders';
import type { Quote, QuoteList, ShippingService } from '@emporium/contracts/shipping';
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

/** The shipping options for a destination: loading (undefined), the quotes, or why there are none. */
type Quotes = { list?: Quote[]; error?: unknown };

/** What the order will cost: the cart and, once chosen, its shipping. */
function orderTotal(cart: Cart, shipping: Quote | undefined): Money {
  return shipping ? { amount: cart.total.amount + shipping.price.amount, currency: cart.total.currency } : cart.total;
}

const SERVICE_NAMES: Record<ShippingService, string> = { standard: 'Standard', express: 'Express' };

/** Checkout: the cart's summary, the shipping address, how to ship it and the card, then "Place order" orders the cart. */
export function Checkout() {
  const { data: cart, error, loading, reload } = useApi<Cart>('/cart');
  const [quotes, setQuotes] = useState<Quotes>({});
  const [service, setService] = useState<ShippingService>('standard');
  const shipping = quotes.list?.find((q) => q.service === service);
  return (
    <div className="shop-checkout">
      <h1>Checkout</h1>
      {loading && !cart ? <Loading what="Loading your cart" /> : error && !cart ? <ErrorBox error={error} retry={reload} /> : cart!.items.length === 0 ? (
        <Empty title="Your cart is empty, so there is nothing to order yet.">
          <p><Link to="/products">Browse the products</Link></p>
        </Empty>
      ) : (
        <div className="shop-checkout-cols">
          <CartSummary cart={cart!} shipping={shipping} />
          <CheckoutForm cart={cart!} quotes={quotes} onQuotes={setQuotes} service={service} onService={setService} />
        </div>
      )}
    </div>
  );
}

/** What is being ordered: each line, the shipping chosen and the total. */
function CartSummary({ cart, shipping }: { cart: Cart; shipping: Quote | undefined }) {
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
        <li data-testid="summary-shipping">
          <span>Shipping{shipping ? <span className="muted"> · {SERVICE_NAMES[shipping.service]}</span> : null}</span>
          <span>{shipping ? money(shipping.price) : '…'}</span>
        </li>
      </ul>
      <p className="shop-total"><span>Total</span><span className="price">{money(orderTotal(cart, shipping))}</span></p>
      <p><Link to="/cart">Change the cart</Link></p>
    </section>
  );
}

/** What the form needs besides the cart: the shipping options for the address's country, and the one chosen. */
interface ShippingChoice {
  quotes: Quotes;
  onQuotes(quotes: Quotes): void;
  service: ShippingService;
  onService(service: ShippingService): void;
}

/** The address, shipping and card form; one Idempotency-Key for as long as it is on screen, so a retry never orders twice. */
function CheckoutForm({ cart, quotes, onQuotes, service, onService }: { cart: Cart } & ShippingChoice) {
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

  // What shipping costs depends only on the country and the items: asked again when either changes.
  const items = JSON.stringify(cart.items.map(({ productId, quantity }) => ({ productId, quantity })));
  useEffect(() => {
    const controller = new AbortController();
    onQuotes({});
    // The quote needs an address; only its country counts, so the rest may be a placeholder.
    const where: Address = { name: 'Quote', line1: 'Quote', city: 'Quote', postalCode: '00', country: address.country };
    api<QuoteList>('/shipping/quotes', { method: 'POST', body: { address: where, items: JSON.parse(items) as unknown }, signal: controller.signal })
      .then((answer) => onQuotes({ list: answer.data }))
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') onQuotes({ error: err });
      });
    return () => controller.abort();
  }, [address.country, items, onQuotes]);
  const chosen = quotes.list?.find((q) => q.service === service);

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
        body: { shippingAddress, shipping: { service }, payment: { cardNumber: card.replace(/[\s-]/g, '') } },
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
      <fieldset data-testid="shipping-options">
        <legend>Shipping</legend>
        {quotes.error ? (
          <p role="alert" className="error">
            {quotes.error instanceof ApiError && quotes.error.problem.code === 'SHIPPING_DESTINATION_NOT_SERVED' ? 'We cannot ship to this country.' : 'Shipping prices could not be loaded; the shipping is priced when the order is placed.'}
          </p>
        ) : !quotes.list ? (
          <p className="muted">Finding shipping prices…</p>
        ) : (
          quotes.list.map((q) => (
            <label key={q.service} className="shop-shipping-option">
              <input type="radio" name="shipping" value={q.service} checked={service === q.service} onChange={() => onService(q.service)} />
              <span>{SERVICE_NAMES[q.service]} · {q.carrier} · {q.estimatedDays} days</span>
              <span className="price">{money(q.price)}</span>
            </label>
          ))
        )}
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
        <span>Total <span className="price">{money(orderTotal(cart, chosen))}</span></span>
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
