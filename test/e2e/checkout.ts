import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../tools/src/api-client.ts';
import { checkInvariants, waitForOrders } from '../../tools/src/invariants.ts';
import { DEV_ACCOUNTS } from '../../tools/src/services.ts';

/** Cards of the fake payment provider. */
export const CARDS = { approved: '4242424242424242', declined: '4000000000000002', insufficient: '4000000000009995', timeout: '4000000000000119' };
export const ADDRESS = { name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' };

type Order = { id: string; status: string; cancellationReason: string | null; total: { amount: number }; shipping: { service: string; carrier: string; price: { amount: number; currency: string } } | null; items: Array<{ productId: string; quantity: number }>; payment: { status: string | null } | null; shipment: { id: string; status: string; trackingNumber: string } | null; history: Array<{ status: string }> };

/** What a checkout test needs from a running platform. */
export interface CheckoutPlatform {
  gatewayUrl: string;
  stop(): Promise<void>;
}

/** Tools shared by the checkout tests: an admin, fresh shoppers and products, and the orders and stock to check. */
export class Shop {
  readonly orders: string[] = [];
  readonly stock = new Map<string, number>();
  constructor(
    readonly api: ApiClient,
    readonly admin: ApiClient,
  ) {}

  static async open(gatewayUrl: string): Promise<Shop> {
    const api = new ApiClient(gatewayUrl);
    return new Shop(api, await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password));
  }

  /** A newly registered shopper. */
  async shopper(): Promise<ApiClient> {
    const email = `buyer-${randomUUID()}@example.com`;
    const res = await this.api.post<{ accessToken: string }>('/api/v1/auth/register', { email, password: 'correct horse battery', name: 'Test Buyer' });
    expect(res.status).toBe(201);
    return this.api.as(res.body.accessToken);
  }

  /** A new product with `stock` units, once every service that prices or stocks it knows it. */
  async product(stock: number, price = 1_999): Promise<string> {
    const categories = await this.api.get<{ data: Array<{ slug: string }> }>('/api/v1/categories');
    const res = await this.admin.post<{ id: string }>('/api/v1/products', {
      sku: `T-${randomUUID().slice(0, 13)}`,
      name: `Test kettle ${randomUUID().slice(0, 6)}`,
      description: 'Made for a checkout test.',
      price: { amount: price, currency: 'USD' },
      category: categories.body.data[0]!.slug,
      initialStock: stock,
    });
    expect(res.status).toBe(201);
    const id = res.body.id;
    this.stock.set(id, stock);
    // product.created reaches inventory (stock) and orders (price) through the broker.
    await vi.waitFor(async () => expect((await this.api.get<{ available: number }>(`/api/v1/inventory/${id}`)).body.available).toBe(stock), { timeout: 15_000, interval: 100 });
    return id;
  }

  /** POST /orders; remembers the order for the invariant checks. */
  async order(shopper: ApiClient, items: Array<{ productId: string; quantity: number }> | undefined, card = CARDS.approved, key = randomUUID()) {
    const res = await shopper.post<{ id: string; status: string; code?: string }>('/api/v1/orders', { ...(items ? { items } : {}), shippingAddress: ADDRESS, payment: { cardNumber: card } }, { 'idempotency-key': key });
    if (res.status === 202 && !this.orders.includes(res.body.id)) this.orders.push(res.body.id);
    return res;
  }

  /** Waits for an order to be CONFIRMED or CANCELLED and reads it. */
  async settled(id: string): Promise<Order> {
    await waitForOrders(this.admin, [id]);
    return (await this.admin.get<Order>(`/api/v1/orders/${id}`)).body;
  }

  /** I1–I7 as far as the API shows them; fails the test with every violation. */
  async expectInvariants(): Promise<void> {
    expect(await checkInvariants(this.admin, { orderIds: this.orders, stock: this.stock })).toEqual([]);
  }
}

/**
 * The checkout through the gateway, the same in both run modes: every test card, out of stock,
 * racing buyers, cancellation with refund, idempotency, isolation, and the shopper's journey
 * from search to delivery. The invariants are checked after each test.
 */
export function describeCheckout(mode: string, start: () => Promise<CheckoutPlatform>): void {
  describe(`checkout through the gateway (${mode})`, () => {
    let platform: CheckoutPlatform | undefined;
    let shop: Shop;
    beforeAll(async () => {
      platform = await start();
      shop = await Shop.open(platform.gatewayUrl);
    }, 180_000);
    afterAll(() => platform?.stop(), 60_000);
    afterEach(async () => {
      await shop.expectInvariants();
    }, 60_000);

    it('confirms an approved card; declines the declined and the underfunded ones with their reasons', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(10);
      const outcomes: Array<[string, string, string | null]> = [
        [CARDS.approved, 'CONFIRMED', null],
        [CARDS.declined, 'CANCELLED', 'payment declined: the card was declined'],
        [CARDS.insufficient, 'CANCELLED', 'payment declined: insufficient funds'],
      ];
      for (const [card, status, reason] of outcomes) {
        const placed = await shop.order(shopper, [{ productId: product, quantity: 2 }], card);
        expect(placed.status).toBe(202);
        expect(placed.body.status).toBe('PENDING');
        const order = await shop.settled(placed.body.id);
        expect(order.status, card).toBe(status);
        expect(order.cancellationReason, card).toBe(reason);
      }
    });

    it('compensates when the payment provider times out, after the step deadline', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(3);
      const placed = await shop.order(shopper, [{ productId: product, quantity: 1 }], CARDS.timeout);
      const order = await shop.settled(placed.body.id);
      expect(order.status).toBe('CANCELLED');
      expect(order.cancellationReason).toBe('the payment provider did not answer in time');
    });

    it('cancels with "out of stock" when there is not enough', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(1);
      const placed = await shop.order(shopper, [{ productId: product, quantity: 2 }]);
      const order = await shop.settled(placed.body.id);
      expect(order.status).toBe('CANCELLED');
      expect(order.cancellationReason).toBe('out of stock');
    });

    it('sells the last two units to exactly two of four racing buyers', async () => {
      const product = await shop.product(2);
      const buyers = await Promise.all([1, 2, 3, 4].map(() => shop.shopper()));
      const placed = await Promise.all(buyers.map((b) => shop.order(b, [{ productId: product, quantity: 1 }])));
      expect(placed.map((p) => p.status)).toEqual([202, 202, 202, 202]);
      const orders = await Promise.all(placed.map((p) => shop.settled(p.body.id)));
      expect(orders.filter((o) => o.status === 'CONFIRMED')).toHaveLength(2);
      expect(orders.filter((o) => o.status === 'CANCELLED').map((o) => o.cancellationReason)).toEqual(['out of stock', 'out of stock']);
      expect((await shop.api.get<{ available: number }>(`/api/v1/inventory/${product}`)).body.available).toBe(0);
    });

    it('cancels a confirmed order: the payment is refunded and the stock returns', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(5);
      const placed = await shop.order(shopper, [{ productId: product, quantity: 3 }]);
      expect((await shop.settled(placed.body.id)).status).toBe('CONFIRMED');
      expect((await shop.api.get<{ available: number }>(`/api/v1/inventory/${product}`)).body.available).toBe(2);
      const cancel = await shopper.post(`/api/v1/orders/${placed.body.id}/cancel`, { reason: 'ordered by mistake' });
      expect(cancel.status).toBe(202);
      await vi.waitFor(async () => expect((await shopper.get<Order>(`/api/v1/orders/${placed.body.id}`)).body.status).toBe('CANCELLED'), { timeout: 30_000, interval: 200 });
      const order = (await shopper.get<Order>(`/api/v1/orders/${placed.body.id}`)).body;
      expect(order.cancellationReason).toBe('cancelled by the customer: ordered by mistake');
      expect(order.payment?.status).toBe('refunded');
      expect((await shop.api.get<{ available: number }>(`/api/v1/inventory/${product}`)).body.available).toBe(5);
      const payments = await shopper.get<{ data: Array<{ status: string; refundedAmount: { amount: number } }> }>(`/api/v1/payments?orderId=${placed.body.id}`);
      expect(payments.body.data).toMatchObject([{ status: 'refunded', refundedAmount: { amount: order.total.amount } }]);
      // The shopper is told, with the reason.
      await vi.waitFor(async () => {
        const inbox = await shopper.get<{ data: Array<{ template: string; body: string }> }>('/api/v1/notifications');
        expect(inbox.body.data.find((n) => n.template === 'order-cancelled')?.body).toContain('ordered by mistake');
      }, { timeout: 15_000, interval: 200 });
    });

    it('returns the same order for the same Idempotency-Key, and charges once', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(5);
      const key = randomUUID();
      const [a, b] = await Promise.all([shop.order(shopper, [{ productId: product, quantity: 1 }], CARDS.approved, key), shop.order(shopper, [{ productId: product, quantity: 1 }], CARDS.approved, key)]);
      const c = await shop.order(shopper, [{ productId: product, quantity: 1 }], CARDS.approved, key);
      expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(1);
      await shop.settled(a.body.id);
      const mine = await shopper.get<{ data: unknown[] }>('/api/v1/orders');
      expect(mine.body.data).toHaveLength(1);
      expect((await shop.api.get<{ available: number }>(`/api/v1/inventory/${product}`)).body.available).toBe(4);
    });

    it("refuses one customer another's order, cart, payments and notifications (I7)", async () => {
      const [alice, bob] = [await shop.shopper(), await shop.shopper()];
      const product = await shop.product(5);
      expect((await alice.post('/api/v1/cart/items', { productId: product, quantity: 1 })).status).toBe(200);
      const placed = await shop.order(alice, [{ productId: product, quantity: 1 }]);
      await shop.settled(placed.body.id);
      expect((await bob.get(`/api/v1/orders/${placed.body.id}`)).status).toBe(404);
      expect((await bob.post(`/api/v1/orders/${placed.body.id}/cancel`)).status).toBe(404);
      const bobsPayments = await bob.get<{ data: unknown[] }>(`/api/v1/payments?orderId=${placed.body.id}`);
      expect(bobsPayments.status === 404 || bobsPayments.body.data.length === 0).toBe(true);
      expect((await bob.get<{ items: unknown[] }>('/api/v1/cart')).body.items).toEqual([]);
      expect((await bob.get<{ data: Array<{ template: string }> }>('/api/v1/notifications')).body.data.map((n) => n.template)).toEqual(['welcome']);
      expect((await bob.get(`/api/v1/shipments?orderId=${placed.body.id}`)).body).toMatchObject({ data: [] });
      expect((await bob.post('/api/v1/ops/sagas')).status).toBeGreaterThanOrEqual(400);
      expect((await bob.get('/api/v1/ops/sagas')).status).toBe(403);
    });

    it('takes a shopper from search to delivery: cart, checkout, live status, dispatch, delivery, messages', async () => {
      const shopper = await shop.shopper();
      const [kettle, mug] = [await shop.product(4, 3_500), await shop.product(9, 900)];
      const name = (await shop.api.get<{ name: string }>(`/api/v1/products/${kettle}`)).body.name;
      const found = await shop.api.get<{ data: Array<{ id: string }> }>(`/api/v1/products?search=${encodeURIComponent(name)}`);
      expect(found.body.data.map((p) => p.id)).toContain(kettle);
      expect((await shopper.post('/api/v1/cart/items', { productId: kettle, quantity: 1 })).status).toBe(200);
      const cart = await shopper.post<{ total: { amount: number }; items: unknown[] }>('/api/v1/cart/items', { productId: mug, quantity: 2 });
      expect(cart.body.total.amount).toBe(3_500 + 2 * 900);

      expect((await shopper.get(`/api/v1/orders/${randomUUID()}/events`)).status).toBe(404);
      const placed = await shop.order(shopper, undefined);
      expect(placed.status).toBe(202);
      const events = await fetch(`${shop.api.baseUrl}/api/v1/orders/${placed.body.id}/events`, { headers: { authorization: `Bearer ${shopper.token}` } });
      expect(events.headers.get('content-type')).toContain('text/event-stream');
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('"status":"CONFIRMED"') && !text.includes('"status":"CANCELLED"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      expect(text).toContain('"status":"CONFIRMED"');

      const order = await shop.settled(placed.body.id);
      // The cart, and standard shipping of its 3 items within the US: $4.99 and $1.00 for each further one.
      expect(order.shipping).toEqual({ service: 'standard', carrier: 'Emporium Post', price: { amount: 699, currency: 'USD' } });
      expect(order.total.amount).toBe(3_500 + 2 * 900 + 699);
      // The cart is cleared by order.confirmed (choreography).
      await vi.waitFor(async () => expect((await shopper.get<{ items: unknown[] }>('/api/v1/cart')).body.items).toEqual([]), { timeout: 15_000, interval: 200 });

      const shipment = order.shipment!;
      expect((await shopper.post(`/api/v1/shipments/${shipment.id}/dispatch`)).status).toBe(403);
      expect((await shop.admin.post(`/api/v1/shipments/${shipment.id}/dispatch`)).status).toBe(200);
      await vi.waitFor(async () => expect((await shopper.get<Order>(`/api/v1/orders/${order.id}`)).body.status).toBe('SHIPPED'), { timeout: 15_000, interval: 200 });
      expect((await shop.admin.post(`/api/v1/shipments/${shipment.id}/deliver`)).status).toBe(200);
      // The stream, still open, sees SHIPPED and DELIVERED, then ends.
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      expect(text.match(/"status":"(\w+)"/g)).toEqual(['"status":"PENDING"', '"status":"CONFIRMED"', '"status":"SHIPPED"', '"status":"DELIVERED"']);
      const delivered = (await shopper.get<Order>(`/api/v1/orders/${order.id}`)).body;
      expect(delivered.history.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);

      await vi.waitFor(async () => {
        const inbox = await shopper.get<{ data: Array<{ template: string; subject: string; body: string }> }>('/api/v1/notifications');
        const templates = inbox.body.data.map((n) => n.template);
        expect(templates).toEqual(expect.arrayContaining(['welcome', 'order-confirmed', 'order-shipped', 'order-delivered']));
        expect(inbox.body.data.filter((n) => n.template !== 'welcome').every((n) => `${n.subject} ${n.body}`.includes(order.id.slice(0, 8)))).toBe(true);
      }, { timeout: 15_000, interval: 200 });
      // Bought together: each product now recommends the other.
      await vi.waitFor(async () => {
        const recs = await shop.api.get<{ data: Array<{ productId: string }> }>(`/api/v1/recommendations?productId=${kettle}`);
        expect(recs.body.data.map((r) => r.productId)).toContain(mug);
      }, { timeout: 15_000, interval: 200 });
      const dashboard = await shopper.get<{ user: { email: string }; recentOrders: Array<{ id: string }>; recommendations: unknown[]; notes: string[] }>('/api/v1/dashboard');
      expect(dashboard.status).toBe(200);
      expect(dashboard.body.recentOrders.map((o) => o.id)).toContain(order.id);
      expect(dashboard.body.notes).toEqual([]);
    });

    it('answers bad checkout input with 4xx problems and never a 5xx', async () => {
      const shopper = await shop.shopper();
      const product = await shop.product(1);
      const cases: Array<[string, unknown, Record<string, string>]> = [
        ['no key', { items: [{ productId: product, quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: CARDS.approved } }, {}],
        ['empty cart', { shippingAddress: ADDRESS, payment: { cardNumber: CARDS.approved } }, { 'idempotency-key': randomUUID() }],
        ['bad card', { items: [{ productId: product, quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: 'x' } }, { 'idempotency-key': randomUUID() }],
        ['card with a wrong check digit', { items: [{ productId: product, quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: '4242424242424241' } }, { 'idempotency-key': randomUUID() }],
        ['negative quantity', { items: [{ productId: product, quantity: -1 }], shippingAddress: ADDRESS, payment: { cardNumber: CARDS.approved } }, { 'idempotency-key': randomUUID() }],
        ['unknown product', { items: [{ productId: randomUUID(), quantity: 1 }], shippingAddress: ADDRESS, payment: { cardNumber: CARDS.approved } }, { 'idempotency-key': randomUUID() }],
        ['broken JSON', '{"items": [', { 'idempotency-key': randomUUID(), 'content-type': 'application/json' }],
      ];
      for (const [name, body, headers] of cases) {
        const res = await shopper.call('POST', '/api/v1/orders', body, headers);
        expect(res.status, name).toBeGreaterThanOrEqual(400);
        expect(res.status, name).toBeLessThan(500);
        expect(res.headers.get('content-type'), name).toContain('application/problem+json');
      }
      for (const [path, body] of [['/api/v1/cart/items', { productId: product, quantity: 0 }], ['/api/v1/shipping/quotes', { address: { ...ADDRESS, country: 'usa' }, items: [] }]] as const) {
        const res = await shopper.post(path, body);
        expect(res.status, path).toBe(400);
      }
      expect((await shop.admin.call('PUT', `/api/v1/inventory/${product}`, { available: -3 })).status).toBe(400);
      expect((await shop.admin.post(`/api/v1/payments/${randomUUID()}/refund`, {})).status).toBe(404);
      expect((await shop.admin.post(`/api/v1/shipments/${randomUUID()}/dispatch`)).status).toBe(404);
      expect((await shopper.get('/api/v1/orders?status=LOST')).status).toBe(400);
    });
  });
}
