import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import type { Payment } from '@emporium/contracts/payments';
import { startPayments, TEST_CARDS, usd, type Payments } from './helpers.ts';

const ADMIN = ['customer', 'admin'];

describeOnDatabases('payments routes', (kind) => {
  let p: Payments;
  const alice = randomUUID();
  const bob = randomUUID();
  const adminId = randomUUID();
  let aliceOrder: string;
  let bobOrder: string;
  beforeAll(async () => {
    p = await startPayments(kind);
    aliceOrder = await capturedOrder(alice, 3_000);
    bobOrder = await capturedOrder(bob, 5_000);
  });
  afterAll(() => p?.close());

  async function capturedOrder(userId: string, amount: number): Promise<string> {
    const orderId = randomUUID();
    await p.authorize({ orderId, userId, amount: usd(amount), cardNumber: TEST_CARDS.approved });
    await p.drain();
    await p.capture({ orderId, amount: usd(amount) });
    await p.drain();
    return orderId;
  }
  const paymentOf = async (orderId: string): Promise<Payment> => (await p.list(adminId, { orderId }, ADMIN)).data[0]!;
  const refund = async (id: string, who: { authorization: string } | Record<string, never>, payload?: unknown) =>
    p.app.inject({ method: 'POST', url: `/payments/${id}/refund`, headers: who, ...(payload === undefined ? {} : { payload: payload as object }) });

  describe('GET /payments', () => {
    it("shows an order's payment to its owner, as the contract says", async () => {
      const page = await p.list(alice, { orderId: aliceOrder });
      expect(page.pagination).toEqual({ page: 1, limit: 20, total: 1, pages: 1 });
      expect(page.data[0]).toEqual({
        id: expect.any(String),
        orderId: aliceOrder,
        userId: alice,
        amount: usd(3_000),
        status: 'captured',
        cardLast4: '4242',
        declineCode: null,
        providerReference: expect.stringMatching(/^fake_auth_/),
        refundedAmount: usd(0),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it("never shows a customer another customer's payments (I7)", async () => {
      expect((await p.list(bob, { orderId: aliceOrder })).data).toEqual([]);
      expect((await p.list(alice, { orderId: bobOrder })).data).toEqual([]);
      const own = await p.list(bob);
      expect(own.data.map((x) => x.orderId)).toEqual([bobOrder]);
      expect(own.pagination.total).toBe(1);
      // Someone with no payments sees none, not everyone's.
      expect((await p.list(randomUUID())).data).toEqual([]);
    });

    it("shows an admin anyone's payments", async () => {
      expect((await p.list(adminId, { orderId: aliceOrder }, ADMIN)).data.map((x) => x.userId)).toEqual([alice]);
      const all = await p.list(adminId, {}, ADMIN);
      expect(all.data.map((x) => x.orderId)).toEqual(expect.arrayContaining([aliceOrder, bobOrder]));
    });

    it('pages the list', async () => {
      const first = await p.list(adminId, { limit: 1 }, ADMIN);
      expect(first.data).toHaveLength(1);
      expect(first.pagination.pages).toBe(first.pagination.total);
      const past = await p.list(adminId, { page: 99, limit: 1 }, ADMIN);
      expect(past.data).toEqual([]);
      expect(past.pagination.total).toBe(first.pagination.total);
    });

    it.each([
      ['an orderId that is not a UUID', '/payments?orderId=42'],
      ['an orderId with SQL', `/payments?orderId=${encodeURIComponent("' OR 1=1 --")}`],
      ['limit=0', '/payments?limit=0'],
      ['limit=101', '/payments?limit=101'],
      ['page=abc', '/payments?page=abc'],
    ])('refuses %s with 400', async (_name, url) => {
      const res = await p.app.inject({ method: 'GET', url, headers: await p.auth(alice) });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('needs a signed-in caller', async () => {
      const res = await p.app.inject({ method: 'GET', url: '/payments' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('POST /payments/:id/refund', () => {
    it('refunds a captured payment: 202 now, payment.refunded by an admin once the provider has refunded it', async () => {
      const orderId = await capturedOrder(alice, 1_200);
      const payment = await paymentOf(orderId);
      const res = await refund(payment.id, await p.auth(adminId, ADMIN), { reason: 'damaged in transit' });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ id: payment.id, status: 'captured' });
      // Asking again while the refund is under way is the same refund.
      expect((await refund(payment.id, await p.auth(adminId, ADMIN), { reason: 'again' })).statusCode).toBe(202);
      await p.drain();
      expect(await paymentOf(orderId)).toMatchObject({ status: 'refunded', refundedAmount: usd(1_200) });
      const events = await p.events(orderId);
      expect(events.filter((e) => e.type === 'payment.refunded')).toEqual([
        { type: 'payment.refunded', data: { orderId, paymentId: payment.id, amount: usd(1_200), reason: 'damaged in transit', byAdmin: true } },
      ]);
      expect((await p.ledger(orderId)).filter((l) => l.operation === 'refund')).toEqual([{ operation: 'refund', succeeded: true, amount: 1_200 }]);
      // Refunded once: a second refund is refused, and a saga's cancel gets the same answer.
      const again = await refund(payment.id, await p.auth(adminId, ADMIN));
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'PAYMENTS_NOT_REFUNDABLE' });
      await p.cancel({ orderId, reason: 'order cancelled' });
      expect((await p.events(orderId)).at(-1)!.data).toMatchObject({ byAdmin: true, reason: 'damaged in transit' });
    });

    it('accepts a refund without a body', async () => {
      const orderId = await capturedOrder(bob, 800);
      const res = await refund((await paymentOf(orderId)).id, await p.auth(adminId, ADMIN));
      expect(res.statusCode).toBe(202);
      await p.drain();
      expect((await paymentOf(orderId)).status).toBe('refunded');
    });

    it('refuses to refund a payment that is not captured with 409 PAYMENTS_NOT_REFUNDABLE', async () => {
      const orderId = randomUUID();
      await p.authorize({ orderId, userId: alice, amount: usd(500), cardNumber: TEST_CARDS.approved });
      await p.drain();
      const res = await refund((await paymentOf(orderId)).id, await p.auth(adminId, ADMIN));
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'PAYMENTS_NOT_REFUNDABLE', detail: 'Only a captured payment can be refunded; this one is authorized.' });
      expect(await p.tasks(orderId)).toHaveLength(1);
    });

    it('answers 404 PAYMENTS_NOT_FOUND for an unknown payment', async () => {
      const res = await refund(randomUUID(), await p.auth(adminId, ADMIN));
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'PAYMENTS_NOT_FOUND' });
    });

    it('lets only admins refund: 403 for a customer, even the owner; 401 without a token', async () => {
      const payment = await paymentOf(aliceOrder);
      const res = await refund(payment.id, await p.auth(alice));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await refund(payment.id, {})).statusCode).toBe(401);
      expect((await paymentOf(aliceOrder)).status).toBe('captured');
      expect((await p.tasks(aliceOrder)).map((t) => t.kind)).toEqual(['authorize', 'capture']);
    });

    it.each([
      ['an id that is not a UUID', 'abc', {}],
      ['an id with SQL', encodeURIComponent("1' OR '1'='1"), {}],
      ['an unknown field', '{id}', { reason: 'x', amount: 5 }],
      ['a reason that is too long', '{id}', { reason: 'x'.repeat(501) }],
      ['a reason that is a number', '{id}', { reason: 42 }],
      ['a JSON array', '{id}', ['x']],
    ])('refuses %s with 400 and changes nothing', async (_name, id, payload) => {
      const payment = await paymentOf(bobOrder);
      const res = await refund(id.replace('{id}', payment.id), await p.auth(adminId, ADMIN), payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect((await paymentOf(bobOrder)).status).toBe('captured');
      expect((await p.tasks(bobOrder)).map((t) => t.kind)).toEqual(['authorize', 'capture']);
    });

    it('refuses broken JSON with 400', async () => {
      const payment = await paymentOf(bobOrder);
      const res = await p.app.inject({
        method: 'POST',
        url: `/payments/${payment.id}/refund`,
        headers: { ...(await p.auth(adminId, ADMIN)), 'content-type': 'application/json' },
        payload: '{"reason": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    });
  });

  describe('POST /payment-methods', () => {
    const tokenize = async (payload: unknown, who: { authorization: string } | Record<string, never>) =>
      p.app.inject({ method: 'POST', url: '/payment-methods', headers: who, payload: payload as object });
    const vaulted = async () => (await p.built.ctx.db.query('SELECT 1 FROM provider_vault')).rowCount;

    it("answers a signed-in user's card with the provider's token and its last four digits", async () => {
      const res = await tokenize({ cardNumber: '4242424242424242' }, await p.auth(alice));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ token: expect.stringMatching(/^tok_/), last4: '4242', brand: 'visa', expiresAt: expect.any(String) });
    });

    it('refuses a number that fails the Luhn check with 422, and anything but digits with 400, storing nothing', async () => {
      const before = await vaulted();
      const luhn = await tokenize({ cardNumber: '4242424242424241' }, await p.auth(alice));
      expect(luhn.statusCode).toBe(422);
      expect(luhn.headers['content-type']).toContain('application/problem+json');
      expect(luhn.json()).toMatchObject({ code: 'PAYMENTS_INVALID_CARD', detail: 'The card number is not valid: its check digit is wrong.' });
      for (const cardNumber of ['4242 4242 4242 4242', '42', 4242424242424242]) {
        expect((await tokenize({ cardNumber }, await p.auth(alice))).statusCode, String(cardNumber)).toBe(400);
      }
      expect(await vaulted()).toBe(before);
    });

    it('refuses a caller without a token with 401', async () => {
      expect((await tokenize({ cardNumber: '4242424242424242' }, {})).statusCode).toBe(401);
    });
  });

  it('never charges at the provider what the payments table does not say is charged', async () => {
    expect(await p.chargeMismatches()).toEqual([]);
  });
});
