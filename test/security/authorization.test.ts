import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../tools/src/embedded.ts';
import { seedDemo } from '../../tools/src/seed/seed.ts';
import { publicRouteTable } from './route-table.ts';
import { ADDRESS, CALLERS, CARDS, send, type Answer, type Caller, type Request, type World, openWorld } from './world.ts';

/**
 * The authorization matrix: every operation the platform serves to the public, asked by an
 * anonymous caller, another customer, the owner of the resource and an admin, each with the
 * status the product promises (the API in the README and the services' READMEs).
 * The rows are checked against the route table gathered from the running platform, so an
 * operation cannot be added, or removed, without its row.
 */

/** The status each caller should get. */
type Expected = Record<Caller, number>;

/** Anyone, signed in or not. */
const anyone = (status: number): Expected => ({ anonymous: status, other: status, owner: status, admin: status });
/** Any signed-in user, each on their own things. */
const user = (status: number): Expected => ({ anonymous: 401, other: status, owner: status, admin: status });
/** The owner or an admin; to anyone else the resource does not exist (I7: no hint that it does). */
const ownerOrAdmin = (status: number): Expected => ({ anonymous: 401, other: 404, owner: status, admin: status });
/** The holder of a cart alone, admins included: a line only in the owner's cart is "not in your cart" to anyone else. */
const cartHolder = (status: number): Expected => ({ anonymous: 401, other: 404, owner: status, admin: 404 });
/** Admins only (operators, for /metrics). */
const adminOnly = (status: number): Expected => ({ anonymous: 401, other: 403, owner: 403, admin: status });

/** One row: who gets what, and how each caller's request is made valid apart from who sends it. */
interface Row {
  who: Expected;
  /** Values for the path's `{parameters}` (and `*`): the owner's resources. */
  params?: (w: World, caller: Caller) => Record<string, string>;
  query?: (w: World) => string;
  body?: (w: World, caller: Caller) => unknown;
  headers?: () => Record<string, string>;
  /** Callers whose successful answer must show the owner's things, being theirs to see. */
  reveals?: Caller[];
  /** More to check on an answer. */
  also?: (answer: Answer, caller: Caller) => void;
}

const fresh = () => randomUUID().slice(0, 8);
/** A well-formed trace id that no span has. */
const NO_TRACE = `${'0'.repeat(31)}1`;
const placeOrder = (w: World) => ({ items: [{ productId: w.products.ordered, quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: CARDS.approved } });

/**
 * The matrix, one row per `METHOD /path` of the route table. Rows that change state are safe to
 * ask in CALLERS' order (refused callers first, authorized ones last): each works on a resource
 * of its own (see World), and where two callers are authorized to change it (an order's cancel),
 * each of them has its own order. Rows that create something get a new sku, slug, email or
 * Idempotency-Key per call.
 */
const MATRIX: Record<string, Row> = {
  // The gateway's and the kit's own routes at the root.
  'GET /.well-known/jwks.json': { who: anyone(200) },
  'GET /health/live': { who: anyone(200) },
  'GET /health/ready': { who: anyone(200) },
  'GET /metrics': { who: adminOnly(200) },
  // The gateway's own span buffer, as every service has it (the console gathers them).
  'GET /ops/traces': { who: adminOnly(200) },
  'GET /ops/traces/{traceId}': { who: adminOnly(404), params: () => ({ traceId: NO_TRACE }) },
  'GET /openapi.json': { who: anyone(200) },

  // The gateway's documents (hidden from the API document itself).
  'GET /api/v1/openapi.json': { who: anyone(200) },
  'GET /api/v1/asyncapi.json': { who: anyone(200) },
  'GET /api/v1/docs': { who: anyone(200) },
  'GET /api/v1/docs/init.js': { who: anyone(200) },
  'GET /api/v1/docs/assets/*': { who: anyone(200), params: () => ({ '*': 'swagger-ui.css' }) },

  // identity
  'POST /api/v1/auth/register': { who: anyone(201), body: () => ({ email: `authz-new-${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'New Customer' }) },
  'POST /api/v1/auth/login': { who: anyone(200), body: (w) => ({ email: w.login.email, password: w.login.password }) },
  'GET /api/v1/users/me': { who: user(200), reveals: ['owner'] },

  // catalog and inventory
  'GET /api/v1/products': { who: anyone(200) },
  'POST /api/v1/products': {
    who: adminOnly(201),
    body: (w) => ({ sku: `AUTHZ-${fresh()}`, name: 'Matrix kettle', description: 'Created by the authorization matrix.', price: { amount: 2_500, currency: 'USD' }, category: w.products.category }),
  },
  'GET /api/v1/products/{id}': { who: anyone(200), params: (w) => ({ id: w.products.ordered }) },
  'PUT /api/v1/products/{id}': { who: adminOnly(200), params: (w) => ({ id: w.products.toUpdate }), body: () => ({ description: 'Edited by the authorization matrix.' }) },
  'DELETE /api/v1/products/{id}': { who: adminOnly(204), params: (w) => ({ id: w.products.toDelete }) },
  'GET /api/v1/categories': { who: anyone(200) },
  'POST /api/v1/categories': { who: adminOnly(201), body: () => ({ slug: `authz-${fresh()}`, name: 'Matrix category' }) },
  'GET /api/v1/inventory/{productId}': { who: anyone(200), params: (w) => ({ productId: w.products.stocked.id }) },
  // Set to the figure it already has: authorized or not, the stock stays as it was.
  'PUT /api/v1/inventory/{productId}': { who: adminOnly(200), params: (w) => ({ productId: w.products.stocked.id }), body: (w) => ({ available: w.products.stocked.available }) },

  // cart: the caller's own, whoever they are
  'GET /api/v1/cart': { who: user(200) },
  'POST /api/v1/cart/items': { who: user(200), body: (w) => ({ productId: w.products.ordered, quantity: 1 }) },
  'PATCH /api/v1/cart/items/{productId}': { who: cartHolder(200), params: (w) => ({ productId: w.products.inCartToUpdate }), body: () => ({ quantity: 3 }) },
  'DELETE /api/v1/cart/items/{productId}': { who: cartHolder(200), params: (w) => ({ productId: w.products.inCartToRemove }) },

  // orders
  'POST /api/v1/orders': { who: user(202), body: placeOrder, headers: () => ({ 'idempotency-key': randomUUID() }) },
  'GET /api/v1/orders': { who: user(200), query: () => 'limit=100', reveals: ['owner', 'admin'] },
  'GET /api/v1/orders/{id}': { who: ownerOrAdmin(200), params: (w) => ({ id: w.order.id }), reveals: ['owner', 'admin'] },
  // The owner and the admin may both cancel: each cancels an order of its own (the owner's two
  // spare orders), and the refused callers try the owner's, before the owner does.
  'POST /api/v1/orders/{id}/cancel': {
    who: ownerOrAdmin(202),
    params: (w, caller) => ({ id: caller === 'admin' ? w.toCancelByAdmin.id : w.toCancelByOwner.id }),
    body: () => ({ reason: 'authorization matrix' }),
  },
  // product.md names only the owner; the orders README and GET /orders/:id let an admin read it too.
  'GET /api/v1/orders/{id}/events': { who: ownerOrAdmin(200), params: (w) => ({ id: w.order.id }), headers: () => ({ accept: 'text/event-stream' }) },

  // payments and shipping: a customer's lists hold only their own, whatever the query names
  'GET /api/v1/payments': { who: user(200), query: (w) => `orderId=${w.order.id}`, reveals: ['owner', 'admin'] },
  'POST /api/v1/payments/{id}/refund': { who: adminOnly(202), params: (w) => ({ id: w.toRefund.paymentId }), body: () => ({ reason: 'authorization matrix' }) },
  'GET /api/v1/shipments': { who: user(200), query: (w) => `orderId=${w.order.id}`, reveals: ['owner', 'admin'] },
  'GET /api/v1/shipments/{id}': { who: ownerOrAdmin(200), params: (w) => ({ id: w.order.shipmentId }), reveals: ['owner', 'admin'] },
  'POST /api/v1/shipments/{id}/dispatch': { who: adminOnly(200), params: (w) => ({ id: w.toDispatch.shipmentId }) },
  'POST /api/v1/shipments/{id}/deliver': { who: adminOnly(200), params: (w) => ({ id: w.toDeliver.shipmentId }) },
  'POST /api/v1/shipping/quotes': { who: anyone(200), body: (w) => ({ address: ADDRESS, items: [{ productId: w.products.ordered, quantity: 2 }] }) },

  // notifications, recommendations, the dashboard
  'GET /api/v1/notifications': { who: user(200), query: () => 'limit=100', reveals: ['owner'] },
  'GET /api/v1/recommendations': { who: anyone(200), query: (w) => `productId=${w.products.ordered}` },
  // Not `reveals`: each part of the dashboard may be left out when its service is slow, by design.
  'GET /api/v1/dashboard': { who: user(200) },

  // operations: admins only
  'GET /api/v1/ops/services': { who: adminOnly(200) },
  'GET /api/v1/ops/metrics': { who: adminOnly(200) },
  'GET /api/v1/ops/breakers': { who: adminOnly(200) },
  // The run-time faults: an empty list, so the platform under test stays as it is.
  'GET /api/v1/ops/faults': { who: adminOnly(200) },
  'PUT /api/v1/ops/faults': { who: adminOnly(200), body: () => ({ faults: [] }) },
  'GET /api/v1/ops/outbox': { who: adminOnly(200) },
  'GET /api/v1/ops/dead-letters': { who: adminOnly(200) },
  // A healthy platform has no dead letter to replay: the admin's answer is the service's 404,
  // given past the gateway's admin check and the service's own.
  'POST /api/v1/ops/dead-letters/{service}/{id}/replay': {
    who: adminOnly(404),
    params: () => ({ service: 'orders', id: randomUUID() }),
    also: (answer, caller) => {
      if (caller === 'admin') expect(answer.text).toContain('There is no open dead letter');
    },
  },
  'GET /api/v1/ops/traces': { who: adminOnly(200), query: () => 'limit=20' },
  // A trace no service holds: the admin's answer is the 404, given past the admin check.
  'GET /api/v1/ops/traces/{traceId}': { who: adminOnly(404), params: () => ({ traceId: NO_TRACE }) },
  'GET /api/v1/ops/sagas': { who: adminOnly(200), query: () => 'filter=all&limit=100' },
  'GET /api/v1/ops/sagas/{id}': { who: adminOnly(200), params: (w) => ({ id: w.order.id }) },
  // The held checkout: a RUNNING saga, the one kind an admin can retry.
  'POST /api/v1/ops/sagas/{id}/retry': { who: adminOnly(200), params: (w) => ({ id: w.running }) },
  'POST /api/v1/ops/sagas/{id}/compensate': { who: adminOnly(200), params: (w) => ({ id: w.toCompensate.id }) },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The request for the row `op` with these path parameters: the row's template filled in. */
function requestWith(op: string, row: Row, w: World, caller: Caller, params: Record<string, string>): Request {
  const [method, template] = op.split(' ') as [string, string];
  const path = template.replace(/\{([^}]+)\}|\*/g, (whole, name: string | undefined) => {
    const value = params[name ?? '*'];
    if (value === undefined) throw new Error(`the row ${op} gives no value for ${whole}`);
    return name ? encodeURIComponent(value) : value;
  });
  const query = row.query?.(w);
  return { method, path: query ? `${path}?${query}` : path, body: row.body?.(w, caller), headers: row.headers?.() };
}

/** A problem+json answer as a caller can compare it: without its correlation id, and with the path's ids named instead of quoted. */
function problemSeen(answer: Answer, params: Record<string, string>): unknown {
  let detail = answer.text;
  for (const [name, value] of Object.entries(params)) detail = detail.replaceAll(value, `{${name}}`);
  const { correlationId: _ignored, ...rest } = JSON.parse(detail) as Record<string, unknown>;
  return { status: answer.status, ...rest };
}

const dataDir = await mkdtemp(join(tmpdir(), 'emporium-authz-'));
const source = {
  DATA_DIR: dataDir,
  PORT: '0',
  SERVICE_PORT_BASE: '0',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_IP: '1000000',
  RATE_LIMIT_PER_USER: '1000000',
  REGISTER_MAX_PER_IP: '1000000',
  PASSWORD_SCRYPT_LOG2N: '10',
  // The held checkout: the provider never answers its card, and neither the payment worker nor
  // the saga gives up while the file runs, so its saga stays RUNNING.
  SAGA_STEP_TIMEOUT_MS: '3600000',
  PAYMENT_MAX_ATTEMPTS: '100',
};

// The platform starts while the file is collected: the route table it serves decides the tests.
const platform = await startEmbedded(source);
let table: string[];
try {
  table = await publicRouteTable(platform.gatewayUrl, source);
} catch (err) {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
  throw err;
}

const cases = table.filter((op) => op in MATRIX).flatMap((op) => CALLERS.map((caller) => ({ op, caller, expected: MATRIX[op]!.who[caller] })));

afterAll(async () => {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the route table', () => {
  it('has a row in the matrix for every operation the platform serves', () => {
    expect(table.filter((op) => !(op in MATRIX)), 'served, but with no row in the matrix').toEqual([]);
  });

  it('has no row in the matrix for an operation the platform does not serve', () => {
    expect(Object.keys(MATRIX).filter((op) => !table.includes(op)), 'rows naming no served operation').toEqual([]);
  });
});

describe('the authorization matrix, through the gateway', () => {
  let world: World;
  beforeAll(async () => {
    await seedDemo(platform.gatewayUrl, () => {});
    world = await openWorld(platform.gatewayUrl);
  }, 180_000);

  it.each(cases)('$op as $caller: $expected', async ({ op, caller, expected }) => {
    const row = MATRIX[op]!;
    const params = row.params?.(world, caller) ?? {};
    const answer = await send(world.gatewayUrl, world.tokens[caller], requestWith(op, row, world, caller, params));
    expect(answer.status, `${op} as ${caller} answered ${answer.status}: ${answer.text.slice(0, 300)}`).toBe(expected);
    row.also?.(answer, caller);

    if (caller === 'other' && answer.status === 404) {
      // Someone else's resource must look exactly like one that does not exist (I7): the same
      // answer, word for word, as for new ids in its place.
      const missing = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, UUID.test(value) ? randomUUID() : value]));
      const none = await send(world.gatewayUrl, world.tokens[caller], requestWith(op, row, world, caller, missing));
      expect(problemSeen(answer, params), `${op} tells another customer that the owner's resource exists`).toEqual(problemSeen(none, missing));
    }
    if (answer.status >= 300) return;
    // A successful answer shows the owner's things to those entitled to them, and to nobody else.
    const shown = world.ownerSecrets.filter((secret) => answer.text.toLowerCase().includes(secret.toLowerCase()));
    if (caller === 'anonymous' || caller === 'other') expect(shown, `${op} shows the owner's things to ${caller}`).toEqual([]);
    if (row.reveals?.includes(caller)) expect(shown.length, `${op} shows ${caller} none of the owner's things`).toBeGreaterThan(0);
  });
});
