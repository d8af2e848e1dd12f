import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudEvent, describeOnDatabases } from '@emporium/testing';
import { authorizePayment } from '@emporium/contracts/payments';
import { startPayments, TEST_CARDS, usd, type Payments } from './helpers.ts';

describeOnDatabases('payments: test cards and the payment lifecycle', (kind) => {
  let p: Payments;
  const userId = randomUUID();
  beforeAll(async () => {
    p = await startPayments(kind);
  });
  afterAll(() => p?.close());

  const authorized = async (cardNumber: string = TEST_CARDS.approved, amount = usd(2_500)) => {
    const orderId = randomUUID();
    await p.authorize({ orderId, userId, amount, cardNumber });
    await p.drain();
    return orderId;
  };

  describe('authorize', () => {
    it('authorizes 4242424242424242 and answers payment.authorized with the provider reference', async () => {
      const orderId = await authorized();
      const payment = await p.payment(orderId);
      expect(payment).toMatchObject({ status: 'authorized', card_last4: '4242', amount: 2_500, currency: 'USD', user_id: userId });
      expect(payment!.provider_reference).toMatch(/^fake_auth_/);
      const events = await p.events(orderId);
      expect(events).toEqual([
        { type: 'payment.authorized', data: { orderId, paymentId: payment!.id, amount: usd(2_500), providerReference: payment!.provider_reference } },
      ]);
    });

    it("keeps only the provider's token for the call, and forgets it once the authorization is answered", async () => {
      const orderId = randomUUID();
      await p.authorize({ orderId, userId, amount: usd(100), cardNumber: TEST_CARDS.approved });
      expect((await p.tasks(orderId))[0]).toMatchObject({ kind: 'authorize', done: false, payment_token: expect.stringMatching(/^tok_/) });
      await p.drain();
      expect(await p.tasks(orderId)).toEqual([expect.objectContaining({ kind: 'authorize', done: true, payment_token: null })]);
    });

    it.each([
      [TEST_CARDS.declined, 'card_declined'],
      [TEST_CARDS.insufficientFunds, 'insufficient_funds'],
    ])('declines %s with %s', async (card, code) => {
      const orderId = await authorized(card);
      const payment = await p.payment(orderId);
      expect(payment).toMatchObject({ status: 'declined', decline_code: code, provider_reference: null });
      expect(await p.events(orderId)).toEqual([
        { type: 'payment.declined', data: { orderId, paymentId: payment!.id, amount: usd(2_500), code, message: expect.any(String) } },
      ]);
    });

    it('approves any other number that passes the Luhn check', async () => {
      expect(await p.payment(await authorized('4111111111111111'))).toMatchObject({ status: 'authorized', card_last4: '1111' });
      expect(await p.payment(await authorized('5555555555554444'))).toMatchObject({ status: 'authorized', card_last4: '4444' });
    });

    it('declines a token the provider does not know, or no longer knows, without charging', async () => {
      const unknown = randomUUID();
      await p.deliver(cloudEvent(authorizePayment, { orderId: unknown, userId, amount: usd(100), paymentToken: 'tok_never_issued', cardLast4: '4242' }, unknown));
      await p.drain();
      expect(await p.payment(unknown)).toMatchObject({ status: 'declined', decline_code: 'card_declined' });
      expect((await p.events(unknown))[0]!.data.message).toContain('token is unknown or has expired');

      const expired = randomUUID();
      const card = await p.tokenize(TEST_CARDS.approved);
      await p.built.ctx.db.query("UPDATE provider_vault SET expires_at = now() - interval '1 second' WHERE token = $1", [card.token]);
      await p.deliver(cloudEvent(authorizePayment, { orderId: expired, userId, amount: usd(100), paymentToken: card.token, cardLast4: card.last4 }, expired));
      await p.drain();
      expect(await p.payment(expired)).toMatchObject({ status: 'declined', decline_code: 'card_declined' });
      expect(await p.ledger(expired)).toEqual([{ operation: 'authorize', succeeded: false, amount: 100 }]);
    });

    it('retries 4000000000000119 (the provider never answers), then declines it as provider_unavailable', async () => {
      const orderId = await authorized(TEST_CARDS.timeout);
      // The first call timed out: still pending, to be tried again after a backoff.
      expect((await p.payment(orderId))!.status).toBe('pending');
      expect(await p.tasks(orderId)).toEqual([expect.objectContaining({ kind: 'authorize', attempts: 1, done: false })]);
      expect(await p.events(orderId)).toEqual([]);
      for (let i = 0; i < 3; i++) await p.retryNow();
      const payment = await p.payment(orderId);
      expect(payment).toMatchObject({ status: 'declined', decline_code: 'provider_unavailable' });
      expect(await p.tasks(orderId)).toEqual([expect.objectContaining({ attempts: 4, done: true, payment_token: null })]);
      const events = await p.events(orderId);
      expect(events).toEqual([{ type: 'payment.declined', data: expect.objectContaining({ code: 'provider_unavailable', paymentId: payment!.id }) }]);
      expect(await p.ledger(orderId)).toEqual([]);
      // Nothing is left to retry.
      await p.retryNow();
      expect(await p.events(orderId)).toHaveLength(1);
    });

    it("authorizes an amount that is the order's items plus its shipping, and declines one that is not, without calling the provider", async () => {
      const items = [{ productId: randomUUID(), quantity: 2, unitPrice: usd(1_000) }, { productId: randomUUID(), quantity: 1, unitPrice: usd(500) }];
      const right = randomUUID();
      await p.authorize({ orderId: right, userId, amount: usd(2_500 + 699), cardNumber: TEST_CARDS.approved, breakdown: { items, shipping: usd(699) } });
      await p.drain();
      expect(await p.payment(right)).toMatchObject({ status: 'authorized', amount: 3_199 });

      // The saga asks for the items alone: shipping would go uncharged.
      const wrong = randomUUID();
      await p.authorize({ orderId: wrong, userId, amount: usd(2_500), cardNumber: TEST_CARDS.approved, breakdown: { items, shipping: usd(699) } });
      expect(await p.payment(wrong)).toMatchObject({ status: 'declined', decline_code: 'amount_mismatch' });
      expect(await p.events(wrong)).toEqual([
        { type: 'payment.declined', data: expect.objectContaining({ code: 'amount_mismatch', message: 'The amount to authorize, 2500 USD, is not the items (2500 USD) plus shipping (699 USD): 3199 USD.' }) },
      ]);
      expect(await p.tasks(wrong)).toEqual([]);

      const currency = randomUUID();
      await p.authorize({ orderId: currency, userId, amount: usd(3_199), cardNumber: TEST_CARDS.approved, breakdown: { items, shipping: { amount: 699, currency: 'EUR' } } });
      expect(await p.payment(currency)).toMatchObject({ status: 'declined', decline_code: 'amount_mismatch' });
      expect(await p.tasks(currency)).toEqual([]);
    });

    it('declines an amount of zero at once, without calling the provider', async () => {
      const orderId = randomUUID();
      await p.authorize({ orderId, userId, amount: usd(0), cardNumber: TEST_CARDS.approved });
      expect(await p.payment(orderId)).toMatchObject({ status: 'declined', decline_code: 'card_declined' });
      expect(await p.events(orderId)).toEqual([{ type: 'payment.declined', data: expect.objectContaining({ message: expect.stringContaining('greater than zero') }) }]);
      expect(await p.tasks(orderId)).toEqual([]);
    });

    it('dead-letters a command that breaks its schema and writes nothing', async () => {
      const orderId = randomUUID();
      await p.deliver(cloudEvent(authorizePayment, { orderId, userId, amount: usd(100), paymentToken: '', cardLast4: '4242' }, orderId));
      await p.authorize({ orderId, userId, amount: usd(-5), cardNumber: TEST_CARDS.approved });
      expect(await p.payment(orderId)).toBeUndefined();
      const letters = await p.built.ctx.messaging.deadLetters();
      expect(letters.filter((l) => l.subject === orderId)).toHaveLength(2);
    });
  });

  describe('capture', () => {
    it('captures the authorized amount and answers payment.captured', async () => {
      const orderId = await authorized();
      await p.capture({ orderId, amount: usd(2_500) });
      await p.drain();
      const payment = await p.payment(orderId);
      expect(payment!.status).toBe('captured');
      expect((await p.events(orderId)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured']);
      expect((await p.events(orderId))[1]!.data).toEqual({ orderId, paymentId: payment!.id, amount: usd(2_500) });
      expect(await p.ledger(orderId)).toEqual([
        { operation: 'authorize', succeeded: true, amount: 2_500 },
        { operation: 'capture', succeeded: true, amount: 2_500 },
      ]);
    });

    it('declines a capture for another amount and captures nothing', async () => {
      const orderId = await authorized();
      await p.capture({ orderId, amount: usd(2_400) });
      await p.capture({ orderId, amount: { amount: 2_500, currency: 'EUR' } });
      await p.drain();
      expect((await p.payment(orderId))!.status).toBe('authorized');
      const declines = (await p.events(orderId)).filter((e) => e.type === 'payment.declined');
      expect(declines.map((e) => e.data.message)).toEqual([
        'The capture of 2400 USD does not match the authorized 2500 USD.',
        'The capture of 2500 EUR does not match the authorized 2500 USD.',
      ]);
      expect((await p.ledger(orderId)).map((l) => l.operation)).toEqual(['authorize']);
      // The right amount still captures.
      await p.capture({ orderId, amount: usd(2_500) });
      await p.drain();
      expect((await p.payment(orderId))!.status).toBe('captured');
    });

    it('declines a capture when the order has no authorized payment', async () => {
      const none = randomUUID();
      await p.capture({ orderId: none, amount: usd(100) });
      expect(await p.events(none)).toEqual([
        { type: 'payment.declined', data: { orderId: none, paymentId: '00000000-0000-0000-0000-000000000000', amount: usd(100), code: 'card_declined', message: 'There is no payment for this order to capture.' } },
      ]);
      expect(await p.payment(none)).toBeUndefined();

      const declined = await authorized(TEST_CARDS.declined);
      await p.capture({ orderId: declined, amount: usd(2_500) });
      await p.drain();
      expect((await p.events(declined)).map((e) => e.type)).toEqual(['payment.declined', 'payment.declined']);
      expect((await p.ledger(declined)).map((l) => l.operation)).toEqual(['authorize']);
    });
  });

  describe('cancel', () => {
    it('voids an authorized payment at the provider and answers payment.voided', async () => {
      const orderId = await authorized();
      await p.cancel({ orderId, reason: 'out of stock' });
      // Until the provider has voided it, the payment stays authorized.
      expect((await p.payment(orderId))!.status).toBe('authorized');
      await p.drain();
      const payment = await p.payment(orderId);
      expect(payment!.status).toBe('voided');
      expect((await p.events(orderId)).at(-1)).toEqual({ type: 'payment.voided', data: { orderId, paymentId: payment!.id, amount: usd(2_500), reason: 'out of stock' } });
      expect((await p.ledger(orderId)).map((l) => [l.operation, l.succeeded])).toEqual([['authorize', true], ['void', true]]);
    });

    it('refunds a captured payment and answers payment.refunded, not by an admin', async () => {
      const orderId = await authorized();
      await p.capture({ orderId, amount: usd(2_500) });
      await p.drain();
      await p.cancel({ orderId, reason: 'shipment failed' });
      await p.drain();
      const payment = await p.payment(orderId);
      expect(payment).toMatchObject({ status: 'refunded', refunded_amount: 2_500 });
      expect((await p.events(orderId)).at(-1)).toEqual({
        type: 'payment.refunded',
        data: { orderId, paymentId: payment!.id, amount: usd(2_500), reason: 'shipment failed', byAdmin: false },
      });
      expect((await p.ledger(orderId)).map((l) => l.operation)).toEqual(['authorize', 'capture', 'refund']);
    });

    it('answers payment.voided for a declined payment, so the saga gets its reply', async () => {
      const orderId = await authorized(TEST_CARDS.declined);
      await p.cancel({ orderId, reason: 'payment declined' });
      expect((await p.events(orderId)).map((e) => e.type)).toEqual(['payment.declined', 'payment.voided']);
      expect((await p.payment(orderId))!.status).toBe('declined');
    });
  });

  it('never charges at the provider what the payments table does not say is charged', async () => {
    expect(await p.chargeMismatches()).toEqual([]);
  });
});
