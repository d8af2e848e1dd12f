import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { inventoryCommitted, inventoryReleased, inventoryReservationFailed, inventoryReserved } from '@emporium/contracts/inventory';
import { paymentAuthorized, paymentCaptured, paymentDeclined, paymentRefunded, paymentVoided } from '@emporium/contracts/payments';
import { shipmentCancellationRefused, shipmentCancelled, shipmentDispatched, shipmentScheduled } from '@emporium/contracts/shipping';
import { startOrders, type Orders } from './helpers.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' });

/** The participants' answers, as inventory, payments and shipping would publish them. */
function participants(o: Orders) {
  const paymentId = randomUUID();
  const shipmentId = randomUUID();
  return {
    reserved: (orderId: string) => o.send(inventoryReserved, { orderId, reservationId: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }], expiresAt: new Date(Date.now() + 60_000).toISOString() }),
    outOfStock: (orderId: string) => o.send(inventoryReservationFailed, { orderId, reason: 'out-of-stock', shortages: [] }),
    authorized: (orderId: string, amount: number) => o.send(paymentAuthorized, { orderId, paymentId, amount: usd(amount), providerReference: 'auth_1' }),
    declined: (orderId: string, amount: number) => o.send(paymentDeclined, { orderId, paymentId, amount: usd(amount), code: 'insufficient_funds', message: 'insufficient funds' }),
    scheduled: (orderId: string) => o.send(shipmentScheduled, { orderId, shipmentId, trackingNumber: 'EMP123', carrier: 'Emporium Post', estimatedDelivery: '2030-01-01' }),
    committed: (orderId: string) => o.send(inventoryCommitted, { orderId, items: [{ productId: randomUUID(), quantity: 1 }] }),
    captured: (orderId: string, amount: number) => o.send(paymentCaptured, { orderId, paymentId, amount: usd(amount) }),
    released: (orderId: string) => o.send(inventoryReleased, { orderId, items: [], reason: 'compensation', expired: false }),
    voided: (orderId: string) => o.send(paymentVoided, { orderId, paymentId, amount: usd(0), reason: 'compensation' }),
    refunded: (orderId: string, amount: number, byAdmin = false) => o.send(paymentRefunded, { orderId, paymentId, amount: usd(amount), reason: byAdmin ? 'damaged in the warehouse' : 'compensation', byAdmin }),
    shipmentCancelled: (orderId: string) => o.send(shipmentCancelled, { orderId, shipmentId, trackingNumber: 'EMP123', carrier: 'Emporium Post', reason: 'compensation' }),
    dispatched: (orderId: string) => o.send(shipmentDispatched, { orderId, shipmentId, trackingNumber: 'EMP123', carrier: 'Emporium Post' }),
    cancelRefused: (orderId: string) =>
      o.send(shipmentCancellationRefused, { orderId, shipmentId, trackingNumber: 'EMP123', carrier: 'Emporium Post', status: 'dispatched', reason: 'the shipment was dispatched before it could be cancelled' }),
  };
}

describeOnDatabases('orders: the checkout saga', (kind) => {
  let o: Orders;
  let p: ReturnType<typeof participants>;
  let kettle: string;
  let mug: string;
  beforeAll(async () => {
    o = await startOrders(kind);
    p = participants(o);
    kettle = await o.product('Kettle', 2_500);
    mug = await o.product('Mug', 800);
  });
  afterAll(() => o.close());

  const place = async (userId = randomUUID()) => {
    const res = await o.place(userId, [{ productId: kettle, quantity: 1 }, { productId: mug, quantity: 2 }, { productId: mug, quantity: 1 }]);
    expect(res.statusCode).toBe(202);
    expect(res.body.status).toBe('PENDING');
    return { id: res.body.id, userId };
  };

  it('prices the order, then runs every step in order and confirms it', async () => {
    const { id, userId } = await place();
    const order = await o.order(id, userId);
    // Duplicate lines of one product are merged; prices come from the catalog's events.
    expect(order.items.map((l) => [l.name, l.quantity, l.lineTotal.amount])).toEqual([['Kettle', 1, 2_500], ['Mug', 3, 2_400]]);
    // The items, and standard shipping of 4 items to London: $14.99 and $3.00 for each further item.
    expect(order.total).toEqual(usd(4_900 + 2_399));
    expect(order.shipping).toEqual({ service: 'standard', carrier: 'Emporium Post', price: usd(2_399) });
    expect(await o.types(id)).toEqual(['order.placed', 'inventory.reserve']);

    await p.reserved(id);
    await p.authorized(id, 4_900);
    await p.scheduled(id);
    expect((await o.types(id)).slice(2)).toEqual(['payment.authorize', 'shipment.schedule', 'inventory.commit']);
    // The card travels as the provider's token and its last four digits, never as its number.
    const authorize = (await o.published(id))[2]![1];
    expect(authorize).toEqual({
      orderId: id,
      userId,
      amount: usd(7_299),
      paymentToken: expect.stringMatching(/^tok_/),
      cardLast4: '4242',
      // What the amount is made of, for payments to check.
      breakdown: { items: [{ productId: kettle, quantity: 1, unitPrice: usd(2_500) }, { productId: mug, quantity: 3, unitPrice: usd(800) }], shipping: usd(2_399) },
    });
    await p.committed(id);
    expect((await o.order(id, userId)).status).toBe('PENDING');
    await p.captured(id, 4_900);

    const confirmed = await o.order(id, userId);
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.payment).toMatchObject({ status: 'captured', cardLast4: '4242' });
    expect(confirmed.shipment).toMatchObject({ status: 'scheduled', trackingNumber: 'EMP123' });
    expect((await o.types(id)).slice(5)).toEqual(['payment.capture', 'order.confirmed']);
    // The history read model follows the events.
    await vi.waitFor(async () => expect((await o.order(id, userId)).history.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED']));
    // The card's token does not outlive the saga.
    const { rows } = await o.built.ctx.db.query<{ data: { paymentToken: string | null; cardLast4: string } }>('SELECT data FROM sagas WHERE id = $1', [id]);
    expect(rows[0]!.data).toMatchObject({ paymentToken: null, cardLast4: '4242' });
  });

  it('cancels with "out of stock" when the reservation fails, sending nothing more', async () => {
    const { id, userId } = await place();
    await p.outOfStock(id);
    const order = await o.order(id, userId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toBe('out of stock');
    expect(await o.types(id)).toEqual(['order.placed', 'inventory.reserve', 'order.cancelled']);
  });

  it('releases the stock before cancelling when the payment is declined', async () => {
    const { id, userId } = await place();
    await p.reserved(id);
    await p.declined(id, 4_900);
    expect((await o.types(id)).at(-1)).toBe('inventory.release');
    expect((await o.order(id, userId)).status).toBe('PENDING');
    await p.released(id);
    const order = await o.order(id, userId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toBe('payment declined: insufficient funds');
    expect(order.payment?.status).toBe('declined');
  });

  it('handles a reply only once: a redelivered or late reply changes nothing', async () => {
    const { id, userId } = await place();
    await p.reserved(id);
    await p.reserved(id);
    expect((await o.types(id)).filter((t) => t === 'payment.authorize')).toHaveLength(1);
    await p.outOfStock(id); // late and contradictory: the saga has moved on
    expect((await o.order(id, userId)).status).toBe('PENDING');
  });

  it('cancels a confirmed order: shipment, then payment (refund), then stock, newest first', async () => {
    const { id, userId } = await place();
    for (const step of [p.reserved, (x: string) => p.authorized(x, 4_900), p.scheduled, p.committed, (x: string) => p.captured(x, 4_900)]) await step(id);
    const res = await o.built.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: await o.auth(userId), payload: { reason: 'changed my mind' } });
    expect(res.statusCode).toBe(202);
    const compensations = async () => (await o.types(id)).slice(7);
    expect(await compensations()).toEqual(['shipment.cancel']);
    await p.shipmentCancelled(id);
    expect(await compensations()).toEqual(['shipment.cancel', 'payment.cancel']);
    await p.refunded(id, 4_900);
    expect(await compensations()).toEqual(['shipment.cancel', 'payment.cancel', 'inventory.release']);
    await p.released(id);
    const order = await o.order(id, userId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toBe('cancelled by the customer: changed my mind');
    expect(order.payment?.status).toBe('refunded');
    const cancelled = (await o.published(id)).find(([t]) => t === 'order.cancelled')!;
    expect(cancelled[1]).toMatchObject({ previousStatus: 'CONFIRMED' });
  });

  it('refuses to cancel an order once shipped, and a stranger cannot cancel at all', async () => {
    const { id, userId } = await place();
    for (const step of [p.reserved, (x: string) => p.authorized(x, 4_900), p.scheduled, p.committed, (x: string) => p.captured(x, 4_900), p.dispatched]) await step(id);
    expect((await o.order(id, userId)).status).toBe('SHIPPED');
    const mine = await o.built.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: await o.auth(userId) });
    expect(mine.statusCode).toBe(409);
    expect(mine.headers['content-type']).toContain('application/problem+json');
    const stranger = await o.built.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: await o.auth(randomUUID()) });
    expect(stranger.statusCode).toBe(404);
  });

  it('keeps a confirmed order whose cancellation shipping refused: the saga is completed again and the customer told why', async () => {
    const { id, userId } = await place();
    for (const step of [p.reserved, (x: string) => p.authorized(x, 7_299), p.scheduled, p.committed, (x: string) => p.captured(x, 7_299)]) await step(id);
    const res = await o.built.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: await o.auth(userId) });
    expect(res.statusCode).toBe(202);
    expect((await o.types(id)).at(-1)).toBe('shipment.cancel');
    await p.cancelRefused(id);
    await p.cancelRefused(id); // the answer to a re-sent cancel changes nothing more
    const admin = await o.auth(randomUUID(), ['admin']);
    expect((await o.built.app.inject({ method: 'GET', url: `/ops/sagas/${id}`, headers: admin })).json()).toMatchObject({ status: 'COMPLETED', lastError: null, deadlineAt: null });
    expect((await o.types(id)).slice(7)).toEqual(['shipment.cancel', 'order.cancellation-refused']);
    expect((await o.published(id)).at(-1)![1]).toMatchObject({ status: 'CONFIRMED', reason: 'the shipment was dispatched before it could be cancelled' });
    await p.dispatched(id);
    const order = await o.order(id, userId);
    expect(order).toMatchObject({ status: 'SHIPPED', cancellationReason: null, payment: { status: 'captured' } });
  });

  it('fails a running saga at once, for an operator, when its shipment has left and cannot be cancelled', async () => {
    const { id, userId } = await place();
    for (const step of [p.reserved, (x: string) => p.authorized(x, 7_299), p.scheduled]) await step(id);
    // Cancelled while the stock is being committed, just as the shipment is dispatched.
    const res = await o.built.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: await o.auth(userId) });
    expect(res.statusCode).toBe(202);
    await p.cancelRefused(id);
    const admin = await o.auth(randomUUID(), ['admin']);
    expect((await o.built.app.inject({ method: 'GET', url: `/ops/sagas/${id}`, headers: admin })).json()).toMatchObject({
      status: 'FAILED',
      stuck: true,
      lastError: 'schedule-shipment: the shipment was dispatched before it could be cancelled',
    });
    // Nothing else was undone: what is left is for the operator to settle.
    expect(await o.types(id)).not.toContain('payment.cancel');
    expect((await o.order(id, userId)).status).toBe('PENDING');
  });

  it('undoes a confirmed order that an admin refunded, but only until it ships', async () => {
    const { id, userId } = await place();
    for (const step of [p.reserved, (x: string) => p.authorized(x, 4_900), p.scheduled, p.committed, (x: string) => p.captured(x, 4_900)]) await step(id);
    await p.refunded(id, 4_900, true);
    expect((await o.types(id)).slice(7)).toEqual(['shipment.cancel']);
    await p.shipmentCancelled(id);
    await p.released(id);
    const order = await o.order(id, userId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toBe('refunded by an admin: damaged in the warehouse');
  });
});

describeOnDatabases('orders: saga deadlines', (kind) => {
  let o: Orders;
  let p: ReturnType<typeof participants>;
  let kettle: string;
  beforeAll(async () => {
    o = await startOrders(kind, { SAGA_STEP_TIMEOUT_MS: '300', SAGA_COMPENSATION_TIMEOUT_MS: '300', SAGA_COMPENSATION_ATTEMPTS: '2', SAGA_TIMER_MS: '50' });
    p = participants(o);
    kettle = await o.product('Kettle', 2_500);
  });
  afterAll(() => o.close());

  it('compensates a step that does not answer in time, the unanswered one included, newest first', async () => {
    const userId = randomUUID();
    const { body } = await o.place(userId, [{ productId: kettle, quantity: 1 }], { card: '4000000000000119' });
    await p.reserved(body.id);
    // 1. No answer to payment.authorize: after its deadline the saga cancels the payment first…
    await vi.waitFor(async () => expect((await o.types(body.id)).at(-1)).toBe('payment.cancel'), { timeout: 5_000 });
    await p.voided(body.id);
    // 2. …then releases the stock, and only then cancels the order.
    expect((await o.types(body.id)).at(-1)).toBe('inventory.release');
    await p.released(body.id);
    const order = await o.order(body.id, userId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toBe('the payment provider did not answer in time');
  });

  it('marks a saga FAILED when its compensation is never answered, lists it, and an admin retries it to the end', async () => {
    const userId = randomUUID();
    const admin = await o.auth(randomUUID(), ['admin']);
    const { body } = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    // reserve-stock times out, and inventory.release is never answered either.
    await vi.waitFor(async () => {
      const res = await o.built.app.inject({ method: 'GET', url: `/ops/sagas/${body.id}`, headers: admin });
      expect(res.json()).toMatchObject({ status: 'FAILED', stuck: true, step: 'reserve-stock' });
    }, { timeout: 5_000 });
    expect((await o.types(body.id)).filter((t) => t === 'inventory.release')).toHaveLength(2);

    const problems = await o.built.app.inject({ method: 'GET', url: '/ops/sagas', headers: admin });
    expect(problems.json().data.map((s: { id: string }) => s.id)).toContain(body.id);
    const customer = await o.built.app.inject({ method: 'GET', url: '/ops/sagas', headers: await o.auth(userId) });
    expect(customer.statusCode).toBe(403);

    const retried = await o.built.app.inject({ method: 'POST', url: `/ops/sagas/${body.id}/retry`, headers: admin });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'COMPENSATING' });
    expect(retried.json().timeline.map((e: { action: string }) => e.action)).toContain('retry');
    await p.released(body.id);
    expect((await o.order(body.id, userId)).status).toBe('CANCELLED');
    const done = await o.built.app.inject({ method: 'POST', url: `/ops/sagas/${body.id}/retry`, headers: admin });
    expect(done.statusCode).toBe(409);
  });

  it('keeps its deadlines across a restart: another instance on the same database compensates', async () => {
    const userId = randomUUID();
    const { body } = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    // The deadline lives in the row, so any replica's timer finds it; here the same one does.
    await vi.waitFor(async () => expect(await o.types(body.id)).toContain('inventory.release'), { timeout: 5_000 });
    const { rows } = await o.built.ctx.db.query<{ status: string }>('SELECT status FROM sagas WHERE id = $1', [body.id]);
    expect(['COMPENSATING', 'FAILED']).toContain(rows[0]!.status);
  });
});
