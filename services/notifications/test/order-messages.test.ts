import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { orderCancelled, orderConfirmed, orderDelivered, orderShipped } from '@emporium/contracts/orders';
import type { EventDefinition } from '@emporium/contracts/events';
import { orderEvent, startNotifications, type Notifications } from './helpers.ts';

describeOnDatabases('notifications of orders', (kind) => {
  let n: Notifications;
  beforeAll(async () => {
    n = await startNotifications(kind);
  });
  afterAll(() => n.close());

  const usd = (amount: number) => ({ amount, currency: 'USD' });
  const customer = (userId = randomUUID()) => ({ userId, email: `${userId}@example.com` });

  const events: Record<string, { definition: EventDefinition; data: Record<string, unknown>; subject: RegExp; body: string[] }> = {
    'order-confirmed': {
      definition: orderConfirmed,
      data: { items: [{ productId: randomUUID(), name: 'Sencha', quantity: 2, unitPrice: usd(625) }], total: usd(1250), fromCart: true },
      subject: /confirmed/,
      body: ['2 × Sencha at $6.25', 'Total: $12.50'],
    },
    'order-cancelled': { definition: orderCancelled, data: { reason: 'out of stock', previousStatus: 'PENDING' }, subject: /cancelled/, body: ['Reason: out of stock'] },
    'order-shipped': { definition: orderShipped, data: { carrier: 'Parcelo', trackingNumber: 'PX-42' }, subject: /shipped/, body: ['Parcelo', 'PX-42'] },
    'order-delivered': { definition: orderDelivered, data: {}, subject: /delivered/, body: ['delivered'] },
  };

  for (const [template, { definition, data, subject, body }] of Object.entries(events)) {
    it(`stores a ${template} email for the customer on ${definition.type}, naming the order`, async () => {
      const who = customer();
      const event = orderEvent(definition, { ...who, ...data });
      await n.deliver(event);

      const [message, ...more] = (await n.list(who.userId)).data;
      expect(more).toEqual([]);
      expect(message).toMatchObject({ channel: 'email', template, sentAt: expect.any(String) });
      expect(message!.subject).toContain(event.subject);
      expect(message!.subject).toMatch(subject);
      for (const part of body) expect(message!.body).toContain(part);
      expect(await n.rows(who.userId)).toEqual([{ recipient: who.email, template, order_id: event.subject, sent_at: expect.anything() }]);
    });

    it(`stores one ${template} email when ${definition.type} is delivered twice, one after the other or at once`, async () => {
      const who = customer();
      const event = orderEvent(definition, { ...who, ...data });
      await n.deliver(event);
      await n.deliver(event);
      const racing = orderEvent(definition, { ...who, ...data });
      await Promise.all([n.deliver(racing), n.deliver(racing)]);
      expect((await n.rows(who.userId)).map((r) => r.order_id).sort()).toEqual([event.subject, racing.subject].sort());
      const ids = [event.id, racing.id];
      expect((await n.built.ctx.messaging.deadLetters()).filter((l) => ids.includes(l.eventId))).toEqual([]);
    });
  }

  it('stores one message per order and kind even when the same change arrives under a new event id', async () => {
    const who = customer();
    const orderId = randomUUID();
    const first = orderEvent(orderShipped, { orderId, ...who, carrier: 'Parcelo', trackingNumber: 'PX-1' });
    const copy = { ...first, id: randomUUID() };
    await n.deliver(first);
    await n.deliver(copy);
    expect(await n.rows(who.userId)).toHaveLength(1);
    // The copy is handled, not failed: it simply finds the message already stored.
    expect((await n.built.ctx.messaging.deadLetters()).filter((l) => l.eventId === copy.id)).toEqual([]);
  });

  it('follows one order through its life, newest message first, for its customer only', async () => {
    const who = customer();
    const orderId = randomUUID();
    await n.deliver(orderEvent(orderConfirmed, { orderId, ...who, items: [{ productId: randomUUID(), name: 'Kettle', quantity: 1, unitPrice: usd(4500) }], total: usd(4500), fromCart: false }));
    await n.deliver(orderEvent(orderShipped, { orderId, ...who, carrier: 'Parcelo', trackingNumber: 'PX-2' }));
    await n.deliver(orderEvent(orderDelivered, { orderId, ...who }));

    const page = await n.list(who.userId);
    expect(page.data.map((m) => m.template)).toEqual(['order-delivered', 'order-shipped', 'order-confirmed']);
    expect(page.data.every((m) => m.subject.includes(orderId))).toBe(true);
    expect((await n.list(randomUUID())).data).toEqual([]);
  });

  it('dead-letters an order event that breaks its schema, and stores nothing', async () => {
    const who = customer();
    const invalid = orderEvent(orderShipped, { ...who, carrier: 'Parcelo' });
    await n.deliver(invalid);
    expect(await n.rows(who.userId)).toEqual([]);
    const letters = (await n.built.ctx.messaging.deadLetters()).filter((l) => l.eventId === invalid.id);
    expect(letters).toEqual([expect.objectContaining({ purpose: 'send-shipping-notice', type: 'order.shipped', reason: 'invalid' })]);
    expect(letters[0]!.error).toContain('trackingNumber');
  });
});
