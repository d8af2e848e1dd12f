import { randomUUID } from 'node:crypto';
import { get, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { inventoryReservationFailed, inventoryReserved } from '@emporium/contracts/inventory';
import { paymentAuthorized } from '@emporium/contracts/payments';
import { productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { ADDRESS, startOrders, type Orders } from './helpers.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' });

describeOnDatabases('orders: the API', (kind) => {
  let o: Orders;
  let kettle: string;
  beforeAll(async () => {
    o = await startOrders(kind);
    kettle = await o.product('Kettle', 2_500);
  });
  afterAll(() => o.close());

  const post = async (userId: string, payload: unknown, headers: Record<string, string> = { 'idempotency-key': randomUUID() }) =>
    o.built.app.inject({ method: 'POST', url: '/orders', headers: { ...(await o.auth(userId)), ...headers }, payload: payload as object });
  const body = (items: unknown = [{ productId: kettle, quantity: 1 }]) => ({ items, shippingAddress: ADDRESS, payment: { cardNumber: '4242424242424242' } });
  let listening: Promise<string> | undefined;
  /** The service's URL, listening from the first call on (event streams need a real connection). */
  const baseUrl = () => (listening ??= o.built.listen(0));
  const orderCount = async () => Number((await o.built.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n);

  it('returns the same order for the same Idempotency-Key, one after the other and at once (I6)', async () => {
    const userId = randomUUID();
    const key = randomUUID();
    const first = await o.place(userId, [{ productId: kettle, quantity: 2 }], { key });
    const second = await o.place(userId, [{ productId: kettle, quantity: 2 }], { key });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.body.id).toBe(first.body.id);

    const racingKey = randomUUID();
    const before = await orderCount();
    const racing = await Promise.all(Array.from({ length: 5 }, () => o.place(userId, [{ productId: kettle, quantity: 1 }], { key: racingKey })));
    expect(racing.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    expect(await orderCount()).toBe(before + 1);
    expect(await o.types(racing[0]!.body.id)).toEqual(['order.placed', 'inventory.reserve']);
  });

  it('refuses a key reused for a different order, and a missing key', async () => {
    const userId = randomUUID();
    const key = randomUUID();
    await o.place(userId, [{ productId: kettle, quantity: 1 }], { key });
    const other = await o.place(userId, [{ productId: kettle, quantity: 3 }], { key });
    expect(other.statusCode).toBe(422);
    expect(other.body.code).toBe('ORDERS_IDEMPOTENCY_KEY_REUSED');
    const before = await orderCount();
    const missing = await post(userId, body(), {});
    expect(missing.statusCode).toBe(400);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json().detail).toMatch(/idempotency-key/i);
    expect(await orderCount()).toBe(before);
  });

  it('answers bad input with a 4xx problem and writes nothing', async () => {
    const userId = randomUUID();
    const before = await orderCount();
    const cases: Array<[unknown, number]> = [
      [body([]), 400],
      [body([{ productId: kettle, quantity: 0 }]), 400],
      [body([{ productId: 'not-a-uuid', quantity: 1 }]), 400],
      [{ ...body(), payment: { cardNumber: '4242 4242' } }, 400],
      [{ ...body(), shippingAddress: { ...ADDRESS, country: 'Britain' } }, 400],
      [{ ...body(), extra: true }, 400],
      [body([{ productId: randomUUID(), quantity: 1 }]), 422],
    ];
    for (const [payload, status] of cases) {
      const res = await post(userId, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const malformed = await o.built.app.inject({ method: 'POST', url: '/orders', headers: { ...(await o.auth(userId)), 'idempotency-key': randomUUID(), 'content-type': 'application/json' }, payload: '{"items":' });
    expect(malformed.statusCode).toBe(400);
    const anonymous = await o.built.app.inject({ method: 'POST', url: '/orders', headers: { 'idempotency-key': randomUUID() }, payload: body() });
    expect(anonymous.statusCode).toBe(401);
    expect(await orderCount()).toBe(before);
    expect((await o.built.app.inject({ method: 'GET', url: '/orders/nope', headers: await o.auth(userId) })).statusCode).toBe(400);
  });

  it('refuses a card number that fails the Luhn check with 422, before anything is written or sent', async () => {
    const userId = randomUUID();
    const count = async () => {
      const n = async (db: typeof o.built.ctx.db, table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      const orders = o.built.ctx.db;
      return [await n(orders, 'orders'), await n(orders, 'sagas'), await n(orders, 'outbox'), await n(orders, 'idempotency_keys'), await n(o.payments.db, 'provider_vault')];
    };
    const before = await count();
    const res = await post(userId, { ...body(), payment: { cardNumber: '4242424242424241' } });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'ORDERS_INVALID_CARD',
      detail: 'The card number is not valid: its check digit is wrong. Check the digits against the card.',
      errors: [{ path: 'body/payment/cardNumber', message: expect.stringContaining('not a valid card number') }],
    });
    expect(res.body).not.toContain('4242424242424241');
    expect(await count()).toEqual(before);
  });

  it("exchanges the card for the provider's token, and keeps only that and the last four digits", async () => {
    const userId = randomUUID();
    const { body: placed } = await o.place(userId, [{ productId: kettle, quantity: 1 }], { card: '5555555555554444' });
    expect((await o.order(placed.id, userId)).payment).toEqual({ id: null, status: null, cardLast4: '4444' });
    const { rows } = await o.built.ctx.db.query<{ data: Record<string, unknown> }>('SELECT data FROM sagas WHERE id = $1', [placed.id]);
    expect(rows[0]!.data).toMatchObject({ paymentToken: expect.stringMatching(/^tok_/), cardLast4: '4444' });
    expect(JSON.stringify(rows[0]!.data)).not.toContain('5555555555554444');
  });

  it('prices from the latest catalog event and refuses deleted products', async () => {
    const userId = randomUUID();
    const lamp = await o.product('Lamp', 1_000);
    await o.send(productUpdated, { productId: lamp, sku: 'LAMP-1', name: 'Desk lamp', price: { amount: 1_250, currency: 'USD' }, category: 'misc' });
    const placed = await o.place(userId, [{ productId: lamp, quantity: 2 }]);
    const order = await o.order(placed.body.id, userId);
    expect(order.items[0]).toMatchObject({ name: 'Desk lamp', unitPrice: { amount: 1_250 }, lineTotal: { amount: 2_500 } });
    await o.send(productDeleted, { productId: lamp });
    const refused = await o.place(userId, [{ productId: lamp, quantity: 1 }]);
    expect(refused.statusCode).toBe(422);
    expect(refused.body.code).toBe('ORDERS_UNKNOWN_PRODUCT');
  });

  it('charges the chosen shipping: the total is the items plus the price shipping quotes, and the saga authorizes it with its breakdown', async () => {
    const userId = randomUUID();
    // To London (Europe): standard is $14.99 for the first item and $3.00 for each further one; express $34.99 and $5.00.
    const standard = await o.place(userId, [{ productId: kettle, quantity: 2 }]);
    expect(standard.statusCode).toBe(202);
    const plain = await o.order(standard.body.id, userId);
    expect(plain.shipping).toEqual({ service: 'standard', carrier: 'Emporium Post', price: usd(1_799) });
    expect(plain.total).toEqual(usd(5_000 + 1_799));

    const express = await o.place(userId, [{ productId: kettle, quantity: 2 }], { shipping: { service: 'express' } });
    expect(express.statusCode).toBe(202);
    const id = express.body.id;
    const order = await o.order(id, userId);
    expect(order.shipping).toEqual({ service: 'express', carrier: 'Emporium Express', price: usd(3_999) });
    expect(order.total).toEqual(usd(5_000 + 3_999));
    expect((await o.published(id))[0]).toEqual(['order.placed', expect.objectContaining({ total: usd(8_999) })]);

    await o.send(inventoryReserved, { orderId: id, reservationId: randomUUID(), items: [{ productId: kettle, quantity: 2 }], expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const authorize = (await o.published(id)).find(([type]) => type === 'payment.authorize')![1];
    expect(authorize).toMatchObject({ amount: usd(8_999), breakdown: { items: [{ productId: kettle, quantity: 2, unitPrice: usd(2_500) }], shipping: usd(3_999) } });
    await o.send(paymentAuthorized, { orderId: id, paymentId: randomUUID(), amount: usd(8_999), providerReference: 'auth_1' });
    // The shipment is booked at the speed that was paid for.
    const schedule = (await o.published(id)).find(([type]) => type === 'shipment.schedule')![1];
    expect(schedule).toMatchObject({ service: 'express' });
  });

  it('refuses an unknown shipping service and a destination no carrier serves, before writing anything', async () => {
    const userId = randomUUID();
    const before = await orderCount();
    const unknown = await post(userId, { ...body(), shipping: { service: 'teleport' } });
    expect(unknown.statusCode).toBe(400);
    const unserved = await post(userId, { ...body(), shippingAddress: { ...ADDRESS, country: 'KP' } });
    expect(unserved.statusCode).toBe(422);
    expect(unserved.headers['content-type']).toContain('application/problem+json');
    expect(unserved.json()).toMatchObject({ code: 'ORDERS_DESTINATION_NOT_SERVED', detail: expect.stringContaining('KP') });
    expect(await orderCount()).toBe(before);
  });

  it('counts its sagas by status in /metrics', async () => {
    await o.place(randomUUID(), [{ productId: kettle, quantity: 1 }]);
    const metrics = (await o.built.app.inject({ method: 'GET', url: '/metrics', headers: await o.auth(randomUUID(), ['admin']) })).body;
    const running = /^orders_sagas\{status="RUNNING",service="orders"\} (\d+)$/m.exec(metrics);
    expect(Number(running?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('refuses an order whose total is over the largest amount of money, which its events could not carry', async () => {
    const userId = randomUUID();
    // Two are over the largest amount; one, with its shipping, is not.
    const safe = await o.product('Safe', 6_000_000_000);
    const before = await orderCount();
    const refused = await o.place(userId, [{ productId: safe, quantity: 2 }]);
    expect(refused.statusCode).toBe(422);
    expect(refused.body.code).toBe('ORDERS_TOTAL_TOO_LARGE');
    expect(await orderCount()).toBe(before);
    expect((await o.place(userId, [{ productId: safe, quantity: 1 }])).statusCode).toBe(202);
  });

  it("never shows or lets anyone act on another customer's order (I7); admins see all", async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const { body: mine } = await o.place(alice, [{ productId: kettle, quantity: 1 }]);
    const asBob = await o.built.app.inject({ method: 'GET', url: `/orders/${mine.id}`, headers: await o.auth(bob) });
    expect(asBob.statusCode).toBe(404);
    const bobsList = await o.built.app.inject({ method: 'GET', url: `/orders?userId=${alice}`, headers: await o.auth(bob) });
    expect(bobsList.json().data).toEqual([]);
    const stream = await o.built.app.inject({ method: 'GET', url: `/orders/${mine.id}/events`, headers: await o.auth(bob) });
    expect(stream.statusCode).toBe(404);
    const aliceList = await o.built.app.inject({ method: 'GET', url: '/orders', headers: await o.auth(alice) });
    expect(aliceList.json().data.map((x: { id: string }) => x.id)).toEqual([mine.id]);
    const admin = await o.built.app.inject({ method: 'GET', url: `/orders?userId=${alice}`, headers: await o.auth(randomUUID(), ['admin']) });
    expect(admin.json().data.map((x: { id: string }) => x.id)).toEqual([mine.id]);
    expect((await o.order(mine.id, randomUUID(), true)).id).toBe(mine.id);
  });

  it('streams status changes as Server-Sent Events until the order ends', async () => {
    const userId = randomUUID();
    const { body: placed } = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    const url = await baseUrl();
    const res = await fetch(`${url}/orders/${placed.id}/events`, { headers: await o.auth(userId) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return text;
    };
    // 1. The history so far: PENDING.
    expect(await until(/"status":"PENDING"/)).toContain('event: status');
    // 2. A change made later arrives on the open stream, and CANCELLED ends it.
    await o.send(inventoryReservationFailed, { orderId: placed.id, reason: 'out-of-stock', shortages: [] });
    expect(await until(/"status":"CANCELLED"/)).toContain('"note":"out of stock"');
    expect((await reader.read()).done).toBe(true);
  });

  it("caps each user's open status streams: one more gets 429 with Retry-After, and a closed stream frees its slot", async () => {
    const userId = randomUUID();
    const { body: placed } = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    const url = await baseUrl();
    /** Opens the order's stream on a connection of its own; `close` hangs up, as a browser tab that goes away. */
    const open = async (who: string) => {
      const headers = await o.auth(who, who === userId ? undefined : ['admin']);
      return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Promise<string>; close(): void }>((resolve, reject) => {
        const req = get(`${url}/orders/${placed.id}/events`, { headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          const body = new Promise<string>((done) => res.on('end', () => done(text)).on('close', () => done(text)));
          resolve({ status: res.statusCode!, headers: res.headers, body, close: () => req.destroy() });
        });
        req.on('error', reject);
      });
    };
    // 1. The default allows 5 streams per user, however many orders they watch.
    const streams = [];
    for (let i = 0; i < 5; i++) streams.push(await open(userId));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    // 2. A sixth is refused, and says when to try again.
    const refused = await open(userId);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(await refused.body)).toMatchObject({ code: 'ORDERS_TOO_MANY_STREAMS', detail: expect.stringContaining('5 order streams open') });
    // 3. Someone else still gets a stream.
    const other = await open(randomUUID());
    expect(other.status).toBe(200);
    // 4. Closing one frees its slot.
    streams.shift()!.close();
    await vi.waitFor(async () => {
      const again = await open(userId);
      if (again.status === 200) streams.push(again);
      expect(again.status).toBe(200);
    }, { timeout: 5_000, interval: 50 });
    for (const s of [...streams, other]) s.close();
  });

  it('rebuilds the order-history read model from the event log, which the outbox retention leaves whole', async () => {
    const userId = randomUUID();
    const { body: placed } = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    await o.send(inventoryReservationFailed, { orderId: placed.id, reason: 'out-of-stock', shortages: [] });
    await vi.waitFor(async () => expect((await o.order(placed.id, userId)).history).toHaveLength(2));
    const before = (await o.order(placed.id, userId)).history;
    // A month on, the retention has deleted the order's commands, and kept its events.
    await vi.waitFor(async () => expect(await o.built.ctx.messaging.outboxBacklog()).toMatchObject({ unpublished: 0 }));
    await o.built.ctx.db.query("UPDATE outbox SET created_at = now() - interval '30 days', published_at = now() - interval '30 days' WHERE subject = $1", [placed.id]);
    await o.built.ctx.messaging.prune();
    expect(await o.types(placed.id)).toEqual(['order.placed', 'order.cancelled']);
    await o.built.ctx.db.query('DELETE FROM order_history');
    expect((await o.order(placed.id, userId)).history).toEqual([]);
    const admin = await o.auth(randomUUID(), ['admin']);
    const customer = await o.built.app.inject({ method: 'POST', url: '/ops/read-models/order-history/rebuild', headers: await o.auth(userId) });
    expect(customer.statusCode).toBe(403);
    const rebuilt = await o.built.app.inject({ method: 'POST', url: '/ops/read-models/order-history/rebuild', headers: admin });
    expect(rebuilt.statusCode).toBe(200);
    expect(rebuilt.json().replayed).toBeGreaterThanOrEqual(2);
    expect((await o.order(placed.id, userId)).history).toEqual(before);
  });
});
