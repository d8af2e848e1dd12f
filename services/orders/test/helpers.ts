import { randomUUID } from 'node:crypto';
import type { BuiltService, Database, Transport } from '@emporium/kit';
import payments from '@emporium/payments';
import shipping from '@emporium/shipping';
import { cloudEvent, deliver, startTestService, testTokens, type DatabaseKind, type TestService } from '@emporium/testing';
import { productCreated } from '@emporium/contracts/catalog';
import type { EventData, EventDefinition } from '@emporium/contracts/events';
import type { Order } from '@emporium/contracts/orders';
import service from '../src/service.ts';

/** A shipping address that every test may use. */
export const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
export const APPROVED_CARD = '4242424242424242';

/** Every table of the database whose rows, as text, contain `needle` (to look for data that must not be there). */
export async function tablesContaining(db: Database, needle: string): Promise<string[]> {
  const { rows: tables } = await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", [db.schema]);
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM "${db.schema}"."${name}" t WHERE t::text LIKE $1`, [`%${needle}%`]);
    if (Number(rows[0]!.n) > 0) found.push(name);
  }
  return found.sort();
}

/** An orders service on a fresh database, fed replies as the participants would send them. */
export interface Orders {
  built: BuiltService;
  /** The real payments service that orders exchanges card numbers with for tokens. */
  payments: TestService;
  /** The real shipping service that orders asks for the price of the chosen shipping. */
  shipping: TestService;
  /** A bearer header for `userId` (a customer unless `roles` says otherwise). */
  auth(userId: string, roles?: string[]): Promise<{ authorization: string }>;
  /** Delivers an event of `definition` (about `subject`) as its producer's relay would. */
  send<E extends EventDefinition>(definition: E, data: EventData<E>, subject?: string): Promise<void>;
  /** Makes a product orderable at `amount` cents, as catalog's product.created would. */
  product(name: string, amount: number): Promise<string>;
  /** POST /orders as `userId` for `items`; returns the response. */
  place(userId: string, items: Array<{ productId: string; quantity: number }>, opts?: { key?: string; card?: string; shipping?: { service: string } }): Promise<{ statusCode: number; body: { id: string; status: string } & Record<string, unknown> }>;
  /** GET /orders/:id as `userId` (an admin when `admin`). */
  order(id: string, userId: string, admin?: boolean): Promise<Order>;
  /** The commands and events orders published for `orderId`, oldest first: [type, data]. */
  published(orderId: string): Promise<Array<[string, Record<string, unknown>]>>;
  /** The types of what orders published for `orderId`, oldest first. */
  types(orderId: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Builds and starts the orders service with `settings` on `kind`'s database, beside a payments
 * service and a shipping service that trust the same tokens (orders passes the caller's token on
 * when it tokenizes a card, and asks shipping for the price of the chosen shipping). Each has its
 * own transport unless `opts.transport` is shared, and then payments takes part in the checkout,
 * and shipping too with `opts.shipping`.
 */
export async function startOrders(kind: DatabaseKind, settings: Record<string, string> = {}, opts: { transport?: Transport; shipping?: boolean } = {}): Promise<Orders> {
  const keys = await testTokens();
  const paymentsService = await startTestService(payments, kind, { PAYMENT_PROVIDER_LATENCY_MS: '0', OUTBOX_POLL_MS: '100' }, { tokens: keys, transport: opts.transport });
  const paymentsUrl = await paymentsService.built.listen(0);
  const shippingService = await startTestService(shipping, kind, { OUTBOX_POLL_MS: '100' }, { tokens: keys, transport: opts.shipping ? opts.transport : undefined }).catch(async (err: unknown) => {
    await paymentsService.close();
    throw err;
  });
  const shippingUrl = await shippingService.built.listen(0);
  const { built, tokens, transport, close } = await startTestService(service, kind, {
    SAGA_STEP_TIMEOUT_MS: '60000',
    SAGA_COMPENSATION_TIMEOUT_MS: '60000',
    OUTBOX_POLL_MS: '100',
    CART_URL: 'http://127.0.0.1:9',
    PAYMENTS_URL: paymentsUrl,
    SHIPPING_URL: shippingUrl,
    ...settings,
  }, { tokens: keys, transport: opts.transport }).catch(async (err: unknown) => {
    await shippingService.close();
    await paymentsService.close();
    throw err;
  });
  const auth = (userId: string, roles?: string[]) => tokens.auth({ id: userId, email: `${userId}@example.com`, ...(roles ? { roles } : {}) });
  const send: Orders['send'] = (definition, data, subject) => deliver(transport, cloudEvent(definition, data, subject ?? String((data as { orderId?: string; productId?: string }).orderId ?? (data as { productId?: string }).productId)));
  const published = async (orderId: string) => {
    const { rows } = await built.ctx.db.query<{ type: string; envelope: { data: Record<string, unknown> } | string }>('SELECT type, envelope FROM outbox WHERE subject = $1 ORDER BY seq', [orderId]);
    return rows.map((r) => [r.type, (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope).data] as [string, Record<string, unknown>]);
  };
  return {
    built,
    payments: paymentsService,
    shipping: shippingService,
    auth,
    send,
    async product(name, amount) {
      const productId = randomUUID();
      await send(productCreated, { productId, sku: `SKU-${productId.slice(0, 8)}`, name, price: { amount, currency: 'USD' }, category: 'misc', initialStock: 10 });
      return productId;
    },
    async place(userId, items, opts = {}) {
      const res = await built.app.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...(await auth(userId)), 'idempotency-key': opts.key ?? randomUUID() },
        payload: { items, shippingAddress: ADDRESS, payment: { cardNumber: opts.card ?? APPROVED_CARD }, ...(opts.shipping ? { shipping: opts.shipping } : {}) },
      });
      return { statusCode: res.statusCode, body: res.json() };
    },
    async order(id, userId, admin = false) {
      const res = await built.app.inject({ method: 'GET', url: `/orders/${id}`, headers: await auth(userId, admin ? ['admin'] : undefined) });
      if (res.statusCode !== 200) throw new Error(`GET /orders/${id}: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    published,
    types: async (orderId) => (await published(orderId)).map(([type]) => type),
    async close() {
      await close();
      await shippingService.close();
      await paymentsService.close();
    },
  };
}
