import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { InProcessTransport } from '@emporium/kit';
import { describeOnDatabases } from '@emporium/testing';
import { inventoryCommitted, inventoryReserved } from '@emporium/contracts/inventory';
import { startOrders, type Orders } from './helpers.ts';

/**
 * A customer cancels a confirmed order while an admin dispatches its shipment: orders, payments
 * and shipping are the real services on one transport; inventory's replies are sent as it would.
 */
describeOnDatabases('orders: a cancel that races the dispatch', (kind) => {
  let o: Orders;
  beforeAll(async () => {
    o = await startOrders(kind, {}, { transport: new InProcessTransport(), shipping: true });
  });
  afterAll(() => o?.close());

  const wait = { timeout: 10_000, interval: 50 };

  /** Places an order and takes it to CONFIRMED; returns its id, its customer and its shipment. */
  async function confirmed() {
    const userId = randomUUID();
    const kettle = await o.product('Kettle', 2_500);
    const placed = await o.place(userId, [{ productId: kettle, quantity: 1 }]);
    expect(placed.statusCode).toBe(202);
    const orderId = placed.body.id;
    const until = (type: string) => vi.waitFor(async () => expect(await o.types(orderId)).toContain(type), wait);
    await until('inventory.reserve');
    await o.send(inventoryReserved, { orderId, reservationId: randomUUID(), items: [{ productId: kettle, quantity: 1 }], expiresAt: new Date(Date.now() + 60_000).toISOString() });
    // Payments authorizes and shipping schedules, each on its own.
    await until('inventory.commit');
    await o.send(inventoryCommitted, { orderId, items: [{ productId: kettle, quantity: 1 }] });
    await vi.waitFor(async () => expect((await o.order(orderId, userId)).status).toBe('CONFIRMED'), wait);
    return { orderId, userId, shipmentId: (await o.order(orderId, userId)).shipment!.id, until };
  }

  it('refuses the cancellation once the shipment has left: the order ships, the saga stays COMPLETED, nothing is dead-lettered', async () => {
    const admin = await o.auth(randomUUID(), ['admin']);
    const { orderId, userId, shipmentId, until } = await confirmed();

    // Shipping's news of the dispatch has not reached orders when the customer's cancel is
    // accepted: its relay is held back for the moment.
    const relay = o.shipping.built.ctx.messaging.relay;
    await relay.stop();
    const dispatch = await o.shipping.app.inject({ method: 'POST', url: `/shipments/${shipmentId}/dispatch`, headers: admin });
    expect(dispatch.statusCode).toBe(200);
    const cancel = await o.built.app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, headers: await o.auth(userId), payload: { reason: 'changed my mind' } });
    expect(cancel.statusCode).toBe(202);
    await until('shipment.cancel');
    await relay.start();

    const saga = async () => (await o.built.app.inject({ method: 'GET', url: `/ops/sagas/${orderId}`, headers: admin })).json() as { status: string; lastError: string | null; timeline: Array<{ action: string; detail: string | null }> };
    await vi.waitFor(async () => {
      expect(await saga()).toMatchObject({ status: 'COMPLETED', lastError: null });
      expect((await o.order(orderId, userId)).status).toBe('SHIPPED');
    }, wait);
    expect((await saga()).timeline).toContainEqual(expect.objectContaining({ action: 'compensation refused', detail: 'the shipment was dispatched before it could be cancelled' }));
    const order = await o.order(orderId, userId);
    expect(order).toMatchObject({ cancellationReason: null, payment: { status: 'captured' }, shipment: { status: 'dispatched' } });
    // Nothing else was undone: the payment and the stock were never asked back.
    expect(await o.types(orderId)).not.toContain('payment.cancel');
    expect(await o.types(orderId)).not.toContain('inventory.release');
    expect(await o.shipping.built.ctx.messaging.deadLetters()).toEqual([]);
    // The customer is told, in the order's history.
    await vi.waitFor(async () => {
      const notes = (await o.order(orderId, userId)).history.map((h) => h.note);
      expect(notes).toContain('cancellation refused: the shipment was dispatched before it could be cancelled');
    }, wait);
    // And the order can no longer be cancelled.
    const again = await o.built.app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, headers: await o.auth(userId) });
    expect(again.statusCode).toBe(409);
  });

  it('still cancels when the cancel reaches shipping first: the dispatch is the one refused', async () => {
    const admin = await o.auth(randomUUID(), ['admin']);
    const { orderId, userId, shipmentId } = await confirmed();
    const cancel = await o.built.app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, headers: await o.auth(userId) });
    expect(cancel.statusCode).toBe(202);
    await vi.waitFor(async () => expect((await o.types(orderId))).toContain('inventory.release'), wait);
    const dispatch = await o.shipping.app.inject({ method: 'POST', url: `/shipments/${shipmentId}/dispatch`, headers: admin });
    expect(dispatch.statusCode).toBe(409);
  });
});
