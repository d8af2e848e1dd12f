import { randomUUID } from 'node:crypto';
import { expect, vi } from 'vitest';
import { ApiClient } from '../../tools/src/api-client.ts';
import { waitForOrders } from '../../tools/src/invariants.ts';
import { DEV_ACCOUNTS } from '../../tools/src/services.ts';

/** Who sends a request in the authorization matrix. */
export type Caller = 'anonymous' | 'other' | 'owner' | 'admin';

/**
 * The callers in the order each row asks them: the refused ones first, the authorized ones
 * last, so that a call that changes state cannot change what a later caller of the row sees.
 */
export const CALLERS: readonly Caller[] = ['anonymous', 'other', 'owner', 'admin'];

/** A valid shipping address. */
export const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'US' };
/** Cards of the fake payment provider. */
export const CARDS = { approved: '4242424242424242', neverAnswers: '4000000000000119' };

/** One request of the matrix, as a caller sends it. */
export interface Request {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the gateway answered: the status and, except for an open event stream, the body. */
export interface Answer {
  status: number;
  text: string;
}

/**
 * Sends one request to the gateway with `token` as its bearer (none for an anonymous caller).
 * An event stream that opens (200) is closed as soon as its headers arrive: its status is the
 * answer, and it would otherwise stay open for as long as the order lives.
 */
export async function send(gatewayUrl: string, token: string | undefined, req: Request): Promise<Answer> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${gatewayUrl}${req.path}`, { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) });
  if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, text: '' };
  }
  return { status: res.status, text: await res.text() };
}

/** An order of the owner's, with the payment and shipment its checkout made. */
export interface OwnedOrder {
  id: string;
  paymentId: string;
  shipmentId: string;
  trackingNumber: string;
}

/**
 * The resources the matrix's requests name: the callers, the owner's orders (each one used by
 * a single row, so that a row that changes an order leaves the others' as they were), products,
 * the owner's cart lines, and every id that belongs to the owner (to catch a leak).
 */
export interface World {
  gatewayUrl: string;
  tokens: Record<Caller, string | undefined>;
  owner: { id: string; email: string };
  /** An account nobody else uses, for the login row. */
  login: { email: string; password: string };
  products: {
    /** A seeded product with plenty of stock, which the orders buy. */
    ordered: string;
    /** Two seeded products in the owner's cart, one for PATCH and one for DELETE. */
    inCartToUpdate: string;
    inCartToRemove: string;
    /** A seeded product whose stock the admin sets, to the figure it already has. */
    stocked: { id: string; available: number };
    /** Products the admin created for the update and delete rows. */
    toUpdate: string;
    toDelete: string;
    category: string;
  };
  /** The owner's confirmed order that no row changes: reads name it and its payment and shipment. */
  order: OwnedOrder;
  /** Confirmed orders of the owner's, one for each row that changes one. */
  toCancelByOwner: OwnedOrder;
  toCancelByAdmin: OwnedOrder;
  toRefund: OwnedOrder;
  toDispatch: OwnedOrder;
  /** Its shipment is already dispatched, so the admin can deliver it. */
  toDeliver: OwnedOrder;
  toCompensate: OwnedOrder;
  /** A checkout whose payment never answers: its saga stays RUNNING at the payment step, so an admin can retry it. */
  running: string;
  /** Everything that identifies the owner or their resources; none of it may reach another caller. */
  ownerSecrets: string[];
}

type OrderView = { id: string; status: string; payment: { id: string | null } | null; shipment: { id: string; trackingNumber: string } | null };
type ProductView = { id: string; sku: string; category: { slug: string } };

/** A newly registered customer: their id, email, password and token. */
async function register(api: ApiClient, role: string) {
  const email = `authz-${role}-${randomUUID()}@example.com`;
  const password = 'correct horse battery staple';
  const res = await api.post<{ user: { id: string }; accessToken: string }>('/api/v1/auth/register', { email, password, name: `Matrix ${role}` });
  expect(res.status, `registering the ${role}`).toBe(201);
  return { id: res.body.user.id, email, password, token: res.body.accessToken };
}

/**
 * Builds the world the matrix runs in, through the public API: three customers beside the
 * admin, products, eight checkouts of the owner's (seven confirmed, one held at the payment
 * step), the owner's cart, and the owner's confirmation message.
 */
export async function openWorld(gatewayUrl: string): Promise<World> {
  const api = new ApiClient(gatewayUrl);
  const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
  const [owner, other, login] = await Promise.all([register(api, 'owner'), register(api, 'other'), register(api, 'login')]);
  const shopper = api.as(owner.token);

  // Seeded products, by the skus of the demo catalog: stock enough for every order below.
  const catalog = await api.get<{ data: ProductView[] }>('/api/v1/products?limit=100');
  const bySku = (sku: string) => {
    const p = catalog.body.data.find((x) => x.sku === sku);
    if (!p) throw new Error(`the demo catalog has no ${sku}`);
    return p;
  };
  const ordered = bySku('COF-001');
  const stocked = bySku('COF-003');
  const stock = await api.get<{ available: number }>(`/api/v1/inventory/${stocked.id}`);
  expect(stock.status, 'reading a seeded stock').toBe(200);
  const created = async (what: string) => {
    const res = await admin.post<{ id: string }>('/api/v1/products', {
      sku: `AUTHZ-${randomUUID().slice(0, 8)}`,
      name: `Matrix ${what}`,
      description: `Made for the authorization matrix (${what}).`,
      price: { amount: 1_000, currency: 'USD' },
      category: ordered.category.slug,
    });
    expect(res.status, `creating the product to ${what}`).toBe(201);
    return res.body.id;
  };

  // 1. The owner's checkouts, placed together; all but the last are approved.
  const place = async (card: string) => {
    const res = await shopper.post<{ id: string }>('/api/v1/orders', { items: [{ productId: ordered.id, quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: card } }, { 'idempotency-key': randomUUID() });
    expect(res.status, 'placing a fixture order').toBe(202);
    return res.body.id;
  };
  const confirmedIds = await Promise.all(Array.from({ length: 7 }, () => place(CARDS.approved)));
  const running = await place(CARDS.neverAnswers);

  // 2. Each confirmed order with its payment and shipment.
  const settled = await waitForOrders(admin, confirmedIds);
  const owned = async (id: string): Promise<OwnedOrder> => {
    const order = settled.get(id) as unknown as OrderView;
    expect(order.status, `fixture order ${id}`).toBe('CONFIRMED');
    const payments = await admin.get<{ data: Array<{ id: string }> }>(`/api/v1/payments?orderId=${id}`);
    expect(payments.body.data, `the payment of ${id}`).toHaveLength(1);
    return { id, paymentId: payments.body.data[0]!.id, shipmentId: order.shipment!.id, trackingNumber: order.shipment!.trackingNumber };
  };
  const [order, toCancelByOwner, toCancelByAdmin, toRefund, toDispatch, toDeliver, toCompensate] = await Promise.all(confirmedIds.map(owned));

  // 3. The held checkout's saga waits at the payment step (its deadline is far off).
  const saga = await admin.get<{ status: string }>(`/api/v1/ops/sagas/${running}`);
  expect(saga.body.status, 'the held checkout').toBe('RUNNING');

  // 4. What the rows that change state start from: a dispatched shipment, the owner's cart.
  expect((await admin.post(`/api/v1/shipments/${toDeliver!.shipmentId}/dispatch`)).status, 'dispatching a fixture shipment').toBe(200);
  const inCartToUpdate = bySku('COF-002').id;
  const inCartToRemove = bySku('COF-004').id;
  for (const productId of [inCartToUpdate, inCartToRemove]) {
    expect((await shopper.post('/api/v1/cart/items', { productId, quantity: 1 })).status, 'filling the owner’s cart').toBe(200);
  }

  // 5. order.confirmed reaches notifications through the broker: wait for the owner's message.
  await vi.waitFor(async () => {
    const inbox = await shopper.get('/api/v1/notifications?limit=100');
    expect(JSON.stringify(inbox.body)).toContain(order!.id);
  }, { timeout: 15_000, interval: 100 });

  const orders = [order!, toCancelByOwner!, toCancelByAdmin!, toRefund!, toDispatch!, toDeliver!, toCompensate!];
  return {
    gatewayUrl,
    tokens: { anonymous: undefined, other: other.token, owner: owner.token, admin: admin.token },
    owner: { id: owner.id, email: owner.email },
    login: { email: login.email, password: login.password },
    products: {
      ordered: ordered.id,
      inCartToUpdate,
      inCartToRemove,
      stocked: { id: stocked.id, available: stock.body.available },
      toUpdate: await created('update'),
      toDelete: await created('delete'),
      category: ordered.category.slug,
    },
    order: order!,
    toCancelByOwner: toCancelByOwner!,
    toCancelByAdmin: toCancelByAdmin!,
    toRefund: toRefund!,
    toDispatch: toDispatch!,
    toDeliver: toDeliver!,
    toCompensate: toCompensate!,
    running,
    ownerSecrets: [owner.id, owner.email, running, ...orders.flatMap((o) => [o.id, o.paymentId, o.shipmentId, o.trackingNumber])],
  };
}
