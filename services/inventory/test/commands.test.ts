import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cloudEvent, describeOnDatabases } from '@emporium/testing';
import { releaseStock, reserveStock } from '@emporium/contracts/inventory';
import { startInventory, type Inventory } from './helpers.ts';

describeOnDatabases('inventory saga commands', (kind) => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await startInventory(kind);
  });
  afterEach(() => inv.checkInvariants());
  afterAll(() => inv?.close());

  const types = async (orderId: string) => (await inv.published(orderId)).map((e) => e.type);
  const stock = async (productId: string) => {
    const { available, reserved, sold } = await inv.counters(productId);
    return { available, reserved, sold };
  };

  it('reserves every line of an order, summing a product named twice, and announces the new stock', async () => {
    const a = await inv.createProduct(10);
    const b = await inv.createProduct(4);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }, { productId: b, quantity: 4 }, { productId: a, quantity: 1 }]);

    const [reserved, ...rest] = await inv.published(orderId);
    expect(rest).toEqual([]);
    expect(reserved).toEqual({
      type: 'inventory.reserved',
      subject: orderId,
      data: { orderId, reservationId: expect.any(String), items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 4 }, { productId: a, quantity: 1 }], expiresAt: expect.any(String) },
    });
    const ttl = Date.parse(reserved!.data.expiresAt as string) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    expect(await stock(a)).toEqual({ available: 7, reserved: 3, sold: 0 });
    expect(await stock(b)).toEqual({ available: 0, reserved: 4, sold: 0 });
    expect((await inv.published(a)).at(-1)!.data).toEqual({ productId: a, available: 7, reserved: 3, version: expect.any(Number) });
    expect((await inv.published(b)).at(-1)!.data).toEqual({ productId: b, available: 0, reserved: 4, version: expect.any(Number) });
    const res = await inv.app.inject({ method: 'GET', url: `/inventory/${a}` });
    expect(res.json()).toEqual({ productId: a, available: 7, reserved: 3 });
  });

  it('holds nothing when one line is short, and says which', async () => {
    const a = await inv.createProduct(10);
    const b = await inv.createProduct(1);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 5 }, { productId: b, quantity: 2 }]);

    expect((await inv.published(orderId)).map((e) => [e.type, e.data])).toEqual([
      ['inventory.reservation-failed', { orderId, reason: 'out-of-stock', shortages: [{ productId: b, requested: 2, available: 1 }] }],
    ]);
    expect(await stock(a)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await stock(b)).toEqual({ available: 1, reserved: 0, sold: 0 });
    expect((await inv.published(a)).map((e) => e.type)).toEqual(['stock.changed']);
    expect((await inv.reservation(orderId))?.status).toBe('failed');
  });

  it('fails an order naming a product it has never heard of', async () => {
    const a = await inv.createProduct(10);
    const ghost = randomUUID();
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 1 }, { productId: ghost, quantity: 1 }]);
    expect((await inv.published(orderId)).map((e) => e.data)).toEqual([{ orderId, reason: 'unknown-product', shortages: [{ productId: ghost, requested: 1, available: 0 }] }]);
    expect(await stock(a)).toEqual({ available: 10, reserved: 0, sold: 0 });
  });

  it('handles the same reserve event once, and answers a retry with a new event id as it did the first time', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    const first = await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    await inv.deliver(first);
    expect(await types(orderId)).toEqual(['inventory.reserved']);

    // A saga retry: a new event id, maybe even different lines. Same reservation, nothing more held.
    await inv.reserve(orderId, [{ productId: a, quantity: 3 }]);
    const replies = await inv.published(orderId);
    expect(replies.map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.reserved']);
    expect(replies[1]!.data).toEqual(replies[0]!.data);
    expect(await stock(a)).toEqual({ available: 3, reserved: 2, sold: 0 });

    // A failed order stays failed, with the same answer, even once stock has arrived.
    const failed = randomUUID();
    await inv.reserve(failed, [{ productId: a, quantity: 4 }]);
    await inv.app.inject({ method: 'PUT', url: `/inventory/${a}`, headers: inv.admin, payload: { available: 50 } });
    await inv.reserve(failed, [{ productId: a, quantity: 4 }]);
    const failures = await inv.published(failed);
    expect(failures.map((e) => e.type)).toEqual(['inventory.reservation-failed', 'inventory.reservation-failed']);
    expect(failures[1]!.data).toEqual({ orderId: failed, reason: 'out-of-stock', shortages: [{ productId: a, requested: 4, available: 3 }] });
    expect(await stock(a)).toEqual({ available: 50, reserved: 2, sold: 0 });
  });

  it('handles two deliveries of the same reserve racing each other once', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    const event = cloudEvent(reserveStock, { orderId, items: [{ productId: a, quantity: 2 }] }, orderId);
    const retry = cloudEvent(reserveStock, { orderId, items: [{ productId: a, quantity: 2 }] }, orderId);
    await Promise.all([inv.deliver(event), inv.deliver(event), inv.deliver(retry)]);
    const replies = await inv.published(orderId);
    expect(replies.map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.reserved']);
    expect(new Set(replies.map((e) => e.data.reservationId)).size).toBe(1);
    expect(await stock(a)).toEqual({ available: 3, reserved: 2, sold: 0 });
  });

  it('commits a held reservation: reserved units become sold; a repeated commit says so again', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    await inv.commit(orderId);
    await inv.commit(orderId);

    const replies = await inv.published(orderId);
    expect(replies.map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.committed', 'inventory.committed']);
    expect(replies[1]!.data).toEqual({ orderId, items: [{ productId: a, quantity: 2 }] });
    expect(replies[2]!.data).toEqual(replies[1]!.data);
    expect(await stock(a)).toEqual({ available: 3, reserved: 0, sold: 2 });
    expect((await inv.published(a)).at(-1)!.data).toEqual({ productId: a, available: 3, reserved: 0, version: expect.any(Number) });
    expect((await inv.reservation(orderId))?.status).toBe('committed');

    // A reserve retried after the commit re-announces the same reservation and holds nothing.
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    expect((await inv.published(orderId)).at(-1)).toMatchObject({ type: 'inventory.reserved', data: { reservationId: replies[0]!.data.reservationId } });
    expect(await stock(a)).toEqual({ available: 3, reserved: 0, sold: 2 });
  });

  it('releases a held reservation once; a repeated release replies again and changes nothing', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    const release = await inv.release(orderId, 'payment declined');
    await inv.deliver(release);
    await inv.release(orderId, 'saga retried');

    const replies = await inv.published(orderId);
    expect(replies.map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.released', 'inventory.released']);
    const released = { orderId, items: [{ productId: a, quantity: 2 }], reason: 'payment declined', expired: false };
    expect(replies[1]!.data).toEqual(released);
    expect(replies[2]!.data).toEqual(released);
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
    expect((await inv.published(a)).at(-1)!.data).toEqual({ productId: a, available: 5, reserved: 0, version: expect.any(Number) });

    // A reserve arriving again after the release holds nothing and says nothing.
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    expect(await inv.published(orderId)).toHaveLength(3);
    // And a commit after a release by command is refused: the saga compensates.
    await inv.commit(orderId);
    expect((await inv.published(orderId)).at(-1)).toEqual({ type: 'inventory.reservation-failed', subject: orderId, data: { orderId, reason: 'expired', shortages: [] } });
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
  });

  it('gives the units of a cancelled confirmed order back to the available stock', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 3 }]);
    await inv.commit(orderId);
    expect(await stock(a)).toEqual({ available: 2, reserved: 0, sold: 3 });
    await inv.release(orderId, 'cancelled by the customer');
    await inv.release(orderId, 'cancelled by the customer');

    expect(await types(orderId)).toEqual(['inventory.reserved', 'inventory.committed', 'inventory.released', 'inventory.released']);
    expect((await inv.published(orderId))[2]!.data).toEqual({ orderId, items: [{ productId: a, quantity: 3 }], reason: 'cancelled by the customer', expired: false });
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
    expect(await inv.counters(a)).toMatchObject({ received: 5 });
  });

  it('remembers a release that overtakes its reserve, so the late reserve holds nothing', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    await inv.release(orderId, 'payment deadline passed');
    expect((await inv.published(orderId)).map((e) => e.data)).toEqual([{ orderId, items: [], reason: 'payment deadline passed', expired: false }]);

    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    await inv.release(orderId, 'again');
    expect(await types(orderId)).toEqual(['inventory.released', 'inventory.released']);
    expect((await inv.published(orderId))[1]!.data).toEqual({ orderId, items: [], reason: 'payment deadline passed', expired: false });
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
    expect((await inv.reservation(orderId))?.status).toBe('released');
  });

  it('handles a release and a reserve of the same order racing each other, leaving nothing held', async () => {
    const a = await inv.createProduct(5);
    for (let round = 0; round < 5; round++) {
      const orderId = randomUUID();
      await Promise.all([
        inv.deliver(cloudEvent(reserveStock, { orderId, items: [{ productId: a, quantity: 1 }] }, orderId)),
        inv.deliver(cloudEvent(releaseStock, { orderId, reason: 'raced' }, orderId)),
      ]);
      expect((await inv.reservation(orderId))?.status).toBe('released');
      expect((await types(orderId)).filter((t) => t === 'inventory.released')).toHaveLength(1);
    }
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
  });

  it('answers a release of a failed reservation with an empty release', async () => {
    const a = await inv.createProduct(1);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    await inv.release(orderId, 'out of stock');
    expect((await inv.published(orderId)).map((e) => [e.type, e.data])).toEqual([
      ['inventory.reservation-failed', { orderId, reason: 'out-of-stock', shortages: [{ productId: a, requested: 2, available: 1 }] }],
      ['inventory.released', { orderId, items: [], reason: 'out of stock', expired: false }],
    ]);
    expect((await inv.reservation(orderId))?.status).toBe('failed');
    expect(await stock(a)).toEqual({ available: 1, reserved: 0, sold: 0 });
  });

  it('refuses to commit an order it holds nothing for', async () => {
    const orderId = randomUUID();
    await inv.commit(orderId);
    expect(await inv.published(orderId)).toEqual([{ type: 'inventory.reservation-failed', subject: orderId, data: { orderId, reason: 'expired', shortages: [] } }]);
    const failed = randomUUID();
    await inv.reserve(failed, [{ productId: randomUUID(), quantity: 1 }]);
    await inv.commit(failed);
    expect((await inv.published(failed)).at(-1)!.data).toEqual({ orderId: failed, reason: 'expired', shortages: [] });
  });

  it('dead-letters a malformed command without touching the stock', async () => {
    const a = await inv.createProduct(5);
    const orderId = randomUUID();
    const bad = cloudEvent(reserveStock, { orderId, items: [{ productId: a, quantity: 0 }] }, orderId);
    await inv.deliver(bad);
    expect(await inv.published(orderId)).toEqual([]);
    expect(await inv.reservation(orderId)).toBeUndefined();
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });
    const letters = await inv.built.ctx.messaging.deadLetters();
    expect(letters).toEqual([expect.objectContaining({ eventId: bad.id, purpose: 'reserve-stock', reason: 'invalid' })]);
  });
});
