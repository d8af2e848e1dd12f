import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startPayments, TEST_CARDS, usd, type Payments } from './helpers.ts';

const types = (events: Array<{ type: string }>) => events.map((e) => e.type);

describeOnDatabases('payments: commands handled once per order', (kind) => {
  let p: Payments;
  const userId = randomUUID();
  beforeAll(async () => {
    p = await startPayments(kind);
  });
  afterAll(() => p?.close());

  const order = (cardNumber: string = TEST_CARDS.approved) => ({ orderId: randomUUID(), userId, amount: usd(4_200), cardNumber });

  it('handles a redelivered authorize (same event id) once', async () => {
    const data = order();
    const event = await p.authorize(data);
    await p.deliver(event);
    await p.drain();
    await p.deliver(event);
    await p.drain();
    expect(types(await p.events(data.orderId))).toEqual(['payment.authorized']);
    expect(await p.tasks(data.orderId)).toHaveLength(1);
    expect(await p.ledger(data.orderId)).toHaveLength(1);
  });

  it('answers an authorize with a new event id again, without a second authorization', async () => {
    const data = order();
    await p.authorize(data);
    // Still pending: the repeat adds nothing.
    await p.authorize(data);
    await p.drain();
    expect(types(await p.events(data.orderId))).toEqual(['payment.authorized']);
    // Answered: the repeat gets the same answer again, for the saga that asked.
    await p.authorize(data);
    const events = await p.events(data.orderId);
    expect(types(events)).toEqual(['payment.authorized', 'payment.authorized']);
    expect(events[1]!.data).toEqual(events[0]!.data);
    expect(await p.ledger(data.orderId)).toEqual([{ operation: 'authorize', succeeded: true, amount: 4_200 }]);

    const declined = order(TEST_CARDS.declined);
    await p.authorize(declined);
    await p.drain();
    await p.authorize({ ...declined, cardNumber: TEST_CARDS.approved });
    await p.drain();
    expect(types(await p.events(declined.orderId))).toEqual(['payment.declined', 'payment.declined']);
    expect((await p.payment(declined.orderId))!.status).toBe('declined');
  });

  it('captures once when the capture command comes twice', async () => {
    const data = order();
    await p.authorize(data);
    await p.drain();
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.drain();
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.drain();
    expect(types(await p.events(data.orderId))).toEqual(['payment.authorized', 'payment.captured', 'payment.captured']);
    expect((await p.ledger(data.orderId)).filter((l) => l.operation === 'capture')).toHaveLength(1);
  });

  it('leaves a tombstone when the cancel comes before the authorize, so the late authorize does nothing', async () => {
    const data = order();
    await p.cancel({ orderId: data.orderId, reason: 'out of stock' });
    const tombstone = await p.payment(data.orderId);
    expect(tombstone).toMatchObject({ status: 'voided', amount: 0, currency: 'USD', card_last4: '', user_id: null });
    expect(await p.events(data.orderId)).toEqual([
      { type: 'payment.voided', data: { orderId: data.orderId, paymentId: tombstone!.id, amount: usd(0), reason: 'out of stock' } },
    ]);
    await p.authorize(data);
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.drain();
    expect(types(await p.events(data.orderId))).toEqual(['payment.voided', 'payment.declined']);
    expect(await p.tasks(data.orderId)).toEqual([]);
    expect(await p.ledger(data.orderId)).toEqual([]);
    // The tombstone is no payment anyone made: it is not listed.
    expect((await p.list(userId, { orderId: data.orderId })).data).toEqual([]);
    expect((await p.list(randomUUID(), { orderId: data.orderId }, ['customer', 'admin'])).data).toEqual([]);
    // A second cancel gets its answer again.
    await p.cancel({ orderId: data.orderId, reason: 'again' });
    expect(types(await p.events(data.orderId))).toEqual(['payment.voided', 'payment.declined', 'payment.voided']);
  });

  it('voids a pending payment at once, before any provider call, and never authorizes it', async () => {
    const data = order();
    await p.authorize(data);
    await p.cancel({ orderId: data.orderId, reason: 'customer cancelled' });
    await p.drain();
    expect((await p.payment(data.orderId))!.status).toBe('voided');
    expect(types(await p.events(data.orderId))).toEqual(['payment.voided']);
    expect(await p.tasks(data.orderId)).toEqual([expect.objectContaining({ kind: 'authorize', attempts: 0, done: true, payment_token: null })]);
    expect(await p.ledger(data.orderId)).toEqual([]);
  });

  it('voids a payment cancelled while its authorization hangs (4000000000000119), and says nothing more', async () => {
    const data = order(TEST_CARDS.timeout);
    await p.authorize(data);
    // 1. The worker claims the task and its provider call hangs.
    await p.worker.runOnce();
    // 2. The cancel arrives while the call is out (or just after it timed out: the outcome is the same).
    await p.cancel({ orderId: data.orderId, reason: 'payment timed out' });
    expect((await p.payment(data.orderId))!.status).toBe('voided');
    // 3. The call times out; the worker keeps asking the provider with the same key, then gives up.
    await p.worker.settled();
    for (let i = 0; i < 4; i++) await p.retryNow();
    expect((await p.payment(data.orderId))!.status).toBe('voided');
    expect(types(await p.events(data.orderId))).toEqual(['payment.voided']);
    expect(await p.tasks(data.orderId)).toEqual([expect.objectContaining({ kind: 'authorize', attempts: 4, done: true, payment_token: null })]);
    expect(await p.ledger(data.orderId)).toEqual([]);
  });

  it('refunds a capture that was in flight when the cancel came', async () => {
    const data = order();
    await p.authorize(data);
    await p.drain();
    // The capture task is recorded but not yet run when the cancel arrives.
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.cancel({ orderId: data.orderId, reason: 'shipment failed' });
    await p.drain();
    expect(await p.payment(data.orderId)).toMatchObject({ status: 'refunded', refunded_amount: 4_200 });
    expect(types(await p.events(data.orderId))).toEqual(['payment.authorized', 'payment.captured', 'payment.refunded']);
    expect((await p.ledger(data.orderId)).map((l) => l.operation)).toEqual(['authorize', 'capture', 'refund']);
    // Every repeat now gets the same answers, and moves no money.
    await p.cancel({ orderId: data.orderId, reason: 'shipment failed' });
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.authorize(data);
    await p.drain();
    expect(types(await p.events(data.orderId)).slice(3)).toEqual(['payment.refunded', 'payment.declined']);
    expect(await p.ledger(data.orderId)).toHaveLength(3);
  });

  it('handles commands for one order in any order', async () => {
    const data = order();
    await p.capture({ orderId: data.orderId, amount: data.amount });
    await p.cancel({ orderId: data.orderId, reason: 'deadline passed' });
    await p.authorize(data);
    await p.drain();
    expect(types(await p.events(data.orderId))).toEqual(['payment.declined', 'payment.voided']);
    expect((await p.payment(data.orderId))!.status).toBe('voided');
    expect(await p.ledger(data.orderId)).toEqual([]);
  });

  it('never charges at the provider what the payments table does not say is charged', async () => {
    expect(await p.chargeMismatches()).toEqual([]);
  });
});

describeOnDatabases('payments: provider calls that are slow, lost or repeated', (kind) => {
  let p: Payments;
  const userId = randomUUID();
  beforeAll(async () => {
    // Calls take long enough that the test acts while one is out; none times out.
    p = await startPayments(kind, { PAYMENT_PROVIDER_LATENCY_MS: '300', PAYMENT_PROVIDER_TIMEOUT_MS: '5000' });
  });
  afterAll(() => p?.close());

  it('voids at the provider an authorization that succeeds after the order was cancelled', async () => {
    const orderId = randomUUID();
    await p.authorize({ orderId, userId, amount: usd(900), cardNumber: TEST_CARDS.approved });
    // 1. The call is out; 2. the cancel voids the payment at once; 3. the approval comes back and is voided.
    await p.worker.runOnce();
    await p.cancel({ orderId, reason: 'customer cancelled' });
    await p.worker.settled();
    await p.drain();
    expect((await p.payment(orderId))!.status).toBe('voided');
    expect(types(await p.events(orderId)).at(-1)).toBe('payment.voided');
    expect(types(await p.events(orderId))).not.toContain('payment.captured');
    expect((await p.ledger(orderId)).map((l) => [l.operation, l.succeeded])).toEqual([['authorize', true], ['void', true]]);
  });

  it('repeats a call whose worker lost its lease with the same key, and applies one answer', async () => {
    const orderId = randomUUID();
    await p.authorize({ orderId, userId, amount: usd(700), cardNumber: TEST_CARDS.approved });
    // 1. A worker claims the task; 2. its lease runs out while the call is out (as after a crash),
    // 3. so the task is claimed again and the provider is called again with the same key.
    await p.worker.runOnce();
    await p.built.ctx.db.query('UPDATE payment_tasks SET next_attempt_at = now() WHERE done_at IS NULL');
    await p.worker.runOnce();
    await p.worker.settled();
    await p.drain();
    expect(types(await p.events(orderId))).toEqual(['payment.authorized']);
    expect(await p.ledger(orderId)).toEqual([{ operation: 'authorize', succeeded: true, amount: 700 }]);
  });

  it('never charges at the provider what the payments table does not say is charged', async () => {
    expect(await p.chargeMismatches()).toEqual([]);
  });
});

describeOnDatabases('payments: an unreliable provider', (kind) => {
  let p: Payments;
  const userId = randomUUID();
  beforeAll(async () => {
    p = await startPayments(kind, { PAYMENT_PROVIDER_FAILURE_RATE: '0.5', PAYMENT_MAX_ATTEMPTS: '30' });
  });
  afterAll(() => p?.close());

  it('gets every order to the end with retries, charging each once', async () => {
    const orders = Array.from({ length: 6 }, () => randomUUID());
    for (const orderId of orders) await p.authorize({ orderId, userId, amount: usd(1_000), cardNumber: TEST_CARDS.approved });
    const settle = async () => {
      for (let i = 0; i < 40 && (await p.built.ctx.db.query('SELECT 1 FROM payment_tasks WHERE done_at IS NULL')).rowCount > 0; i++) await p.retryNow();
    };
    await settle();
    for (const orderId of orders.slice(0, 4)) await p.capture({ orderId, amount: usd(1_000) });
    await settle();
    for (const orderId of orders.slice(2)) await p.cancel({ orderId, reason: 'changed my mind' });
    await settle();
    const statuses = await Promise.all(orders.map(async (o) => (await p.payment(o))!.status));
    expect(statuses).toEqual(['captured', 'captured', 'refunded', 'refunded', 'voided', 'voided']);
    for (const orderId of orders) {
      const ops = (await p.ledger(orderId)).filter((l) => l.succeeded).map((l) => l.operation);
      expect(new Set(ops).size, orderId).toBe(ops.length);
    }
    expect(await p.chargeMismatches()).toEqual([]);
  });
});
