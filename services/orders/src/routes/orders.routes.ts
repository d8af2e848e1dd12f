import { createHash, randomUUID } from 'node:crypto';
import { bearer, errors, mayAccess, requireUser, type Caller, type Database, type Messaging, type ServiceApp, type TokenVerifier, type Upstream } from '@emporium/kit';
import { MAX_MONEY_AMOUNT, pagination, type Address, type ItemQuantity } from '@emporium/contracts/common';
import type { Cart } from '@emporium/contracts/cart';
import { passesLuhn, type PaymentMethod } from '@emporium/contracts/payments';
import type { QuoteList, ShippingService } from '@emporium/contracts/shipping';
import { CancelOrderBody, Order, OrderPage, OrderParams, OrderQuery, PlacedOrder, PlaceOrderBody, PlaceOrderHeaders, orderPlaced, type OrderShipping, type OrderStatus } from '@emporium/contracts/orders';
import { historyOf } from '../db/history.repository.ts';
import { claimIdempotencyKey, findIdempotencyKey, findOrder, FORGOTTEN_REQUEST_HASH, insertOrder, listOrders, publicOrder, type ClaimedKey } from '../db/orders.repository.ts';
import { findOrderable } from '../db/products.repository.ts';
import { isCancellable } from '../domain/order-status.ts';
import { addShipping, mergeLines, priceLines, type PricingProblem } from '../domain/pricing.ts';
import { ordersErrors } from '../errors.ts';
import type { SagaOrchestrator } from '../sagas/orchestrator.ts';
import type { CheckoutData } from '../sagas/place-order/index.ts';
import { problems } from './schemas.ts';

/** What the order routes need. */
export interface OrderRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  messaging: Messaging;
  saga: SagaOrchestrator<CheckoutData>;
  cart: Upstream;
  payments: Upstream;
  shipping: Upstream;
}

const tags = ['orders'];

/** The caller's order, or 404 for an order that does not exist or is someone else's (I7: no hint that it exists). */
export async function ownOrder(db: Database, caller: Caller, id: string) {
  const order = await findOrder(db, id);
  if (!order || !mayAccess(caller, order.userId)) throw ordersErrors.ORDERS_NOT_FOUND(`There is no order ${id}.`);
  return order;
}

/** The caller's cart, as the cart service prices it, asked for with the caller's own token. */
async function cartItems(cart: Upstream, authorization: string): Promise<ItemQuantity[]> {
  const res = await cart.json<Cart>({ method: 'GET', path: '/cart', headers: { authorization } });
  if (res.status !== 200) throw errors.BAD_GATEWAY(`The cart service answered ${res.status}.`);
  return res.body.items.map(({ productId, quantity }) => ({ productId, quantity }));
}

/**
 * The provider's token for the caller's card, from the payments service, asked for with the
 * caller's own token. The card number goes there and nowhere else: orders keeps the token and
 * the last four digits.
 */
async function tokenizeCard(payments: Upstream, authorization: string, cardNumber: string): Promise<PaymentMethod> {
  const res = await payments.json<PaymentMethod & { detail?: string }>({
    method: 'POST',
    path: '/payment-methods',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ cardNumber }),
    // A second token for the same card is harmless (it expires unused): a failed call may be repeated.
    idempotent: true,
  });
  if (res.status === 201) return res.body;
  if (res.status === 422) throw ordersErrors.ORDERS_INVALID_CARD(res.body.detail ?? 'The payment provider refused the card number.', { errors: [{ path: 'body/payment/cardNumber', message: 'is not a valid card number' }] });
  if (res.status === 503) throw errors.UPSTREAM_UNAVAILABLE('The payment provider is unavailable; try again shortly.', { headers: { 'retry-after': '1' } });
  throw errors.BAD_GATEWAY(`The payments service answered ${res.status}.`);
}

/**
 * The price of `service` for sending `items` to `address`, as the shipping service quotes it
 * (`POST /shipping/quotes`, a computation that may be repeated). A country no carrier serves is
 * the caller's 422; shipping unavailable is a 503.
 */
async function quoteShipping(shipping: Upstream, address: Address, items: readonly ItemQuantity[], service: ShippingService): Promise<OrderShipping> {
  const res = await shipping.json<QuoteList & { detail?: string }>({
    method: 'POST',
    path: '/shipping/quotes',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address, items }),
    idempotent: true,
  });
  if (res.status === 200) {
    const chosen = res.body.data.find((q) => q.service === service);
    if (chosen) return { service: chosen.service, carrier: chosen.carrier, price: chosen.price };
    throw errors.BAD_GATEWAY(`The shipping service offered no ${service} shipping.`);
  }
  if (res.status === 422) {
    throw ordersErrors.ORDERS_DESTINATION_NOT_SERVED(res.body.detail ?? `No carrier ships to ${address.country}.`, { errors: [{ path: 'body/shippingAddress/country', message: 'is a country no carrier ships to' }] });
  }
  if (res.status === 503) throw errors.UPSTREAM_UNAVAILABLE('Shipping is unavailable; try again shortly.', { headers: { 'retry-after': '1' } });
  throw errors.BAD_GATEWAY(`The shipping service answered ${res.status}.`);
}

/** The problem that stops an order from being priced, as the caller's 422. */
function pricingRefused(problem: PricingProblem): never {
  if (problem.kind === 'unknown') throw ordersErrors.ORDERS_UNKNOWN_PRODUCT(`These products cannot be ordered (unknown or no longer sold): ${problem.productIds.join(', ')}.`);
  if (problem.kind === 'quantity') throw ordersErrors.ORDERS_UNKNOWN_PRODUCT(`At most 1000 of one product per order: ${problem.productIds.join(', ')}.`);
  if (problem.kind === 'total') throw ordersErrors.ORDERS_TOTAL_TOO_LARGE(`The total, ${problem.total.amount} minor units of ${problem.total.currency}, is over the largest the platform handles (${MAX_MONEY_AMOUNT}); order fewer items.`);
  throw ordersErrors.ORDERS_CURRENCY_MISMATCH(`The products and their shipping are priced in ${problem.currencies.join(' and ')}; order them separately.`);
}

/** `/orders`: place, list, read and cancel orders. */
export async function orderRoutes(app: ServiceApp, { db, verifier, messaging, saga, cart, payments, shipping }: OrderRouteOptions): Promise<void> {
  const user = requireUser(verifier);

  app.post('/orders', {
    onRequest: user,
    schema: {
      tags,
      summary: "Place an order: the given items, or the cart, and the shipping chosen (standard by default), whose price shipping quotes and the total includes. The card number is exchanged for the payment provider's token and never kept. Checkout runs after the answer.",
      security: bearer,
      headers: PlaceOrderHeaders,
      body: PlaceOrderBody,
      response: { 202: PlacedOrder, ...problems(400, 401, 422, 503) },
    },
  }, async (request, reply) => {
    const caller = request.caller!;
    const key = request.headers['idempotency-key'];
    const body = request.body;
    const { cardNumber } = body.payment;
    if (!passesLuhn(cardNumber)) {
      throw ordersErrors.ORDERS_INVALID_CARD('The card number is not valid: its check digit is wrong. Check the digits against the card.', {
        errors: [{ path: 'body/payment/cardNumber', message: 'is not a valid card number (its check digit is wrong)' }],
      });
    }
    // The card is named by its last four digits: a hash of the whole number can be reversed by trying them all.
    const requestHash = createHash('sha256').update(JSON.stringify({ ...body, payment: { cardLast4: cardNumber.slice(-4) } })).digest('hex');
    const answer = (id: string, status: OrderStatus) => reply.code(202).header('location', `/orders/${id}`).send({ id, status });
    const repeat = async (earlier: ClaimedKey) => {
      if (earlier.requestHash !== requestHash && earlier.requestHash !== FORGOTTEN_REQUEST_HASH) {
        throw ordersErrors.ORDERS_IDEMPOTENCY_KEY_REUSED('This Idempotency-Key was already used for an order with a different body.');
      }
      const order = (await findOrder(db, earlier.orderId))!;
      return answer(order.id, order.status);
    };

    // A retry is answered before anything else happens, without asking the cart again.
    const known = await findIdempotencyKey(db, caller.id, key);
    if (known) return repeat(known);

    const fromCart = body.items === undefined;
    const wanted = mergeLines(fromCart ? await cartItems(cart, request.headers.authorization!) : body.items!);
    if (!wanted.length) throw ordersErrors.ORDERS_EMPTY_CART('Your cart is empty: add items first, or send them in `items`.');
    const priced = priceLines(wanted, await findOrderable(db, wanted.map((i) => i.productId)));
    if ('kind' in priced) pricingRefused(priced);
    // The shipping chosen (standard when none is), priced by shipping; the order is charged the lines plus it.
    const shipped = await quoteShipping(shipping, body.shippingAddress, wanted, body.shipping?.service ?? 'standard');
    const total = addShipping(priced.total, shipped.price);
    if ('kind' in total) pricingRefused(total);

    const card = await tokenizeCard(payments, request.headers.authorization!, cardNumber);
    const id = randomUUID();
    const placed = await db.transaction(async (tx) => {
      const earlier = await claimIdempotencyKey(tx, { userId: caller.id, key, requestHash, orderId: id });
      if (earlier) return earlier;
      await insertOrder(tx, { id, userId: caller.id, email: caller.email, items: priced.lines, shipping: shipped, total, shippingAddress: body.shippingAddress, cardLast4: card.last4, fromCart });
      await messaging.publish(tx, orderPlaced, { orderId: id, userId: caller.id, email: caller.email, items: wanted, total }, { subject: id });
      await saga.start(tx, id, {
        userId: caller.id,
        items: wanted,
        amount: total,
        breakdown: { items: priced.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })), shipping: shipped.price },
        shipping: shipped,
        address: body.shippingAddress,
        paymentToken: card.token,
        cardLast4: card.last4,
      });
      return undefined;
    });
    if (placed) return repeat(placed);
    return answer(id, 'PENDING');
  });

  app.get('/orders', {
    onRequest: user,
    schema: {
      tags,
      summary: "The caller's orders, newest first (admins: everyone's, by user or status)",
      security: bearer,
      querystring: OrderQuery,
      response: { 200: OrderPage, ...problems(400, 401) },
    },
  }, async (request) => {
    const caller = request.caller!;
    const { status, userId, page = 1, limit = 20 } = request.query;
    const admin = caller.roles.includes('admin');
    const { items, total } = await listOrders(db, { userId: admin ? userId : caller.id, status, limit, offset: (page - 1) * limit });
    return { data: items.map((o) => publicOrder(o)), pagination: pagination(page, limit, total) };
  });

  app.get('/orders/:id', {
    onRequest: user,
    schema: {
      tags,
      summary: 'One order, with its status history',
      security: bearer,
      params: OrderParams,
      response: { 200: Order, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const order = await ownOrder(db, request.caller!, request.params.id);
    return { ...publicOrder(order), history: await historyOf(db, order.id) };
  });

  app.post('/orders/:id/cancel', {
    // The body is optional: a bare POST cancels without a reason.
    preValidation: async (request) => {
      request.body ??= {};
    },
    onRequest: user,
    schema: {
      tags,
      summary: 'Cancel an order before it is dispatched: the stock returns and any payment is refunded',
      security: bearer,
      params: OrderParams,
      body: CancelOrderBody,
      response: { 202: PlacedOrder, ...problems(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const caller = request.caller!;
    const order = await ownOrder(db, caller, request.params.id);
    if (!isCancellable(order.status)) throw ordersErrors.ORDERS_NOT_CANCELLABLE(`The order is ${order.status}: it can no longer be cancelled.`);
    const by = caller.id === order.userId ? 'the customer' : 'an admin';
    const reason = request.body?.reason ? `cancelled by ${by}: ${request.body.reason}` : `cancelled by ${by}`;
    await db.transaction((tx) => saga.compensate(tx, order.id, reason));
    return reply.code(202).send({ id: order.id, status: order.status });
  });
}
