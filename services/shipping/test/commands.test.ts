import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { cancelShipment, scheduleShipment } from '@emporium/contracts/shipping';
import { address, command, startShipping, type Shipping } from './helpers.ts';

describeOnDatabases('shipment commands', (kind) => {
  let s: Shipping;
  beforeAll(async () => {
    s = await startShipping(kind);
  });
  afterAll(() => s.close());

  const types = async (orderId: string) => (await s.outbox(orderId)).map((e) => e.type);
  const dispatch = (id: string) => s.app.inject({ method: 'POST', url: `/shipments/${id}/dispatch`, headers: s.admin });

  it('schedules a standard shipment with a tracking number and publishes shipment.scheduled', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const order = await s.schedule({ items: [{ productId: randomUUID(), quantity: 3 }] });

    const shipment = await s.shipmentOf(order.orderId, order.userId);
    expect(shipment).toEqual({
      id: expect.any(String),
      orderId: order.orderId,
      userId: order.userId,
      status: 'scheduled',
      service: 'standard',
      carrier: 'Emporium Post',
      trackingNumber: expect.stringMatching(/^EMP[A-Z2-7]{12}$/),
      address: order.address,
      items: order.items,
      estimatedDelivery: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      cancellationReason: null,
      createdAt: expect.any(String),
      dispatchedAt: null,
      deliveredAt: null,
    });
    expect(shipment!.estimatedDelivery > today).toBe(true);
    expect(await s.outbox(order.orderId)).toEqual([
      {
        type: 'shipment.scheduled',
        subject: order.orderId,
        data: { orderId: order.orderId, shipmentId: shipment!.id, trackingNumber: shipment!.trackingNumber, carrier: 'Emporium Post', estimatedDelivery: shipment!.estimatedDelivery },
      },
    ]);
  });

  it('gives every shipment its own tracking number', async () => {
    const orders = await Promise.all(Array.from({ length: 5 }, () => s.schedule()));
    const numbers = await Promise.all(orders.map(async (o) => (await s.shipmentOf(o.orderId, o.userId))!.trackingNumber));
    expect(new Set(numbers).size).toBe(5);
  });

  it('handles a redelivered command once, and re-announces the same shipment for a command sent again', async () => {
    const data = { orderId: randomUUID(), userId: randomUUID(), address: address(), items: [{ productId: randomUUID(), quantity: 1 }] };
    const event = command(scheduleShipment, data);
    // 1. The same event twice: the inbox lets one through.
    await s.deliver(event);
    await s.deliver(event);
    expect(await types(data.orderId)).toEqual(['shipment.scheduled']);

    // 2. The saga retries with a new event id: no second shipment, the same facts again.
    await s.deliver(command(scheduleShipment, { ...data, address: address({ city: 'Elsewhere' }) }));
    const events = await s.outbox(data.orderId);
    expect(events.map((e) => e.type)).toEqual(['shipment.scheduled', 'shipment.scheduled']);
    expect(events[1]!.data).toEqual(events[0]!.data);
    const page = await s.list(await s.auth(data.userId), { orderId: data.orderId });
    expect(page.pagination.total).toBe(1);
    expect(page.data[0]!.address.city).toBe('Springfield');
  });

  it('cancels a scheduled shipment, and re-announces the cancellation when asked again', async () => {
    const order = await s.schedule();
    const scheduled = (await s.shipmentOf(order.orderId, order.userId))!;
    await s.cancel(order.orderId, 'payment declined');

    const cancelled = (await s.shipmentOf(order.orderId, order.userId))!;
    expect(cancelled).toMatchObject({ id: scheduled.id, status: 'cancelled', cancellationReason: 'payment declined', trackingNumber: scheduled.trackingNumber });
    const facts = { orderId: order.orderId, shipmentId: scheduled.id, trackingNumber: scheduled.trackingNumber, carrier: 'Emporium Post', reason: 'payment declined' };
    expect((await s.outbox(order.orderId)).slice(1)).toEqual([{ type: 'shipment.cancelled', subject: order.orderId, data: facts }]);

    // A cancel sent again re-announces; a schedule sent again does nothing.
    await s.cancel(order.orderId, 'payment declined');
    await s.deliver(command(scheduleShipment, { ...order }));
    expect(await types(order.orderId)).toEqual(['shipment.scheduled', 'shipment.cancelled', 'shipment.cancelled']);
    expect((await s.outbox(order.orderId))[2]!.data).toEqual(facts);
    expect((await s.shipmentOf(order.orderId, order.userId))!.status).toBe('cancelled');
  });

  it('remembers a cancel that came before its schedule, so the late schedule does nothing', async () => {
    const orderId = randomUUID();
    const userId = randomUUID();
    // 1. The cancel arrives first: nothing to cancel, but the cancellation is announced.
    await s.cancel(orderId, 'out of stock');
    const [first] = await s.outbox(orderId);
    expect(first).toEqual({ type: 'shipment.cancelled', subject: orderId, data: { orderId, shipmentId: expect.any(String), trackingNumber: '', carrier: '', reason: 'out of stock' } });

    // 2. The schedule arrives late: no shipment, no event.
    await s.schedule({ orderId, userId });
    expect(await types(orderId)).toEqual(['shipment.cancelled']);
    expect(await s.shipmentOf(orderId, userId)).toBeUndefined();
    expect((await s.list(s.admin, { orderId })).data).toEqual([]);

    // 3. The cancel again: the same announcement.
    await s.cancel(orderId, 'out of stock');
    const events = await s.outbox(orderId);
    expect(events.map((e) => e.type)).toEqual(['shipment.cancelled', 'shipment.cancelled']);
    expect(events[1]!.data).toEqual(first!.data);
  });

  it('ends cancelled whichever of schedule and cancel wins a race', async () => {
    for (let round = 0; round < 3; round++) {
      const orderId = randomUUID();
      const userId = randomUUID();
      await Promise.all([s.schedule({ orderId, userId }), s.cancel(orderId)]);
      const events = await types(orderId);
      expect(events.at(-1)).toBe('shipment.cancelled');
      expect(events.filter((t) => t === 'shipment.cancelled')).toHaveLength(1);
      expect((await s.shipmentOf(orderId, userId))?.status ?? 'none').toMatch(/^(cancelled|none)$/);
    }
    expect(await s.built.ctx.messaging.deadLetters()).toEqual([]);
  });

  it('creates one shipment when the same order is scheduled twice at once', async () => {
    const order = { orderId: randomUUID(), userId: randomUUID(), address: address(), items: [{ productId: randomUUID(), quantity: 1 }] };
    await Promise.all([s.deliver(command(scheduleShipment, order)), s.deliver(command(scheduleShipment, order))]);
    const events = await s.outbox(order.orderId);
    expect(events.map((e) => e.type)).toEqual(['shipment.scheduled', 'shipment.scheduled']);
    expect(events[1]!.data).toEqual(events[0]!.data);
    expect((await s.list(s.admin, { orderId: order.orderId })).pagination.total).toBe(1);
  });

  it('publishes shipment.scheduling-failed for an unserved country and stores nothing', async () => {
    const order = await s.schedule({ address: address({ country: 'KP' }) });
    await s.deliver(command(scheduleShipment, { ...order }));
    expect(await s.outbox(order.orderId)).toEqual([
      { type: 'shipment.scheduling-failed', subject: order.orderId, data: { orderId: order.orderId, reason: 'No carrier serves KP.' } },
      { type: 'shipment.scheduling-failed', subject: order.orderId, data: { orderId: order.orderId, reason: 'No carrier serves KP.' } },
    ]);
    expect((await s.list(s.admin, { orderId: order.orderId })).data).toEqual([]);
  });

  it('refuses to cancel a dispatched or delivered shipment: it answers shipment.cancellation-refused, changes nothing and dead-letters nothing', async () => {
    const order = await s.schedule();
    const shipment = (await s.shipmentOf(order.orderId, order.userId))!;
    expect((await dispatch(shipment.id)).statusCode).toBe(200);

    const cancel = command(cancelShipment, { orderId: order.orderId, reason: 'too late' });
    await s.deliver(cancel);
    expect((await s.shipmentOf(order.orderId, order.userId))!.status).toBe('dispatched');
    const facts = { orderId: order.orderId, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber, carrier: 'Emporium Post' };
    expect((await s.outbox(order.orderId)).slice(1)).toEqual([
      { type: 'shipment.dispatched', subject: order.orderId, data: facts },
      { type: 'shipment.cancellation-refused', subject: order.orderId, data: { ...facts, status: 'dispatched', reason: 'the shipment was dispatched before it could be cancelled' } },
    ]);
    // Sent again (the saga's retry), it is answered again.
    await s.deliver(command(cancelShipment, { orderId: order.orderId, reason: 'too late' }));
    expect((await types(order.orderId)).filter((t) => t === 'shipment.cancellation-refused')).toHaveLength(2);

    expect((await s.app.inject({ method: 'POST', url: `/shipments/${shipment.id}/deliver`, headers: s.admin })).statusCode).toBe(200);
    await s.deliver(command(cancelShipment, { orderId: order.orderId, reason: 'too late' }));
    expect((await s.outbox(order.orderId)).at(-1)).toMatchObject({ type: 'shipment.cancellation-refused', data: { status: 'delivered', reason: 'the shipment was delivered before it could be cancelled' } });
    expect((await s.shipmentOf(order.orderId, order.userId))!.status).toBe('delivered');
    expect((await s.built.ctx.messaging.deadLetters()).filter((l) => l.subject === order.orderId)).toEqual([]);
  });

  it('books the service the order paid for, and standard when the command names none', async () => {
    const orderId = randomUUID();
    const userId = randomUUID();
    await s.deliver(command(scheduleShipment, { orderId, userId, address: address(), items: [{ productId: randomUUID(), quantity: 1 }], service: 'express' }));
    expect(await s.shipmentOf(orderId, userId)).toMatchObject({ service: 'express', carrier: 'Emporium Express' });
    const plain = await s.schedule();
    expect(await s.shipmentOf(plain.orderId, plain.userId)).toMatchObject({ service: 'standard', carrier: 'Emporium Post' });
  });

  it('dead-letters an invalid command and stores nothing for it', async () => {
    const orderId = randomUUID();
    const invalid = command(scheduleShipment, { orderId, userId: randomUUID(), address: address({ country: 'USA' }), items: [] });
    await s.deliver(invalid);
    expect(await s.outbox(orderId)).toEqual([]);
    const letters = (await s.built.ctx.messaging.deadLetters()).filter((l) => l.eventId === invalid.id);
    expect(letters).toEqual([expect.objectContaining({ purpose: 'schedule-shipment', reason: 'invalid', attempts: 1 })]);
  });
});
