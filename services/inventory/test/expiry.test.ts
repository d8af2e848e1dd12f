import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startInventory, type Inventory } from './helpers.ts';

describeOnDatabases('inventory reservation expiry', (kind) => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await startInventory(kind);
  });
  afterEach(() => inv.checkInvariants());
  afterAll(() => inv?.close());

  const stock = async (productId: string) => {
    const { available, reserved, sold } = await inv.counters(productId);
    return { available, reserved, sold };
  };
  const expiredRelease = (orderId: string, items: unknown[]) => ({ type: 'inventory.released', subject: orderId, data: { orderId, items, reason: 'reservation expired', expired: true } });

  it('gives back the stock of reservations past their expiry, once, and leaves the others alone', async () => {
    const a = await inv.createProduct(10);
    const [late, early] = [randomUUID(), randomUUID()];
    await inv.reserve(late, [{ productId: a, quantity: 3 }]);
    await inv.reserve(early, [{ productId: a, quantity: 2 }]);
    await inv.backdate(late);

    expect(await inv.sweep()).toBe(1);
    expect(await inv.sweep()).toBe(0);
    expect((await inv.published(late)).slice(1)).toEqual([expiredRelease(late, [{ productId: a, quantity: 3 }])]);
    expect(await inv.published(early)).toHaveLength(1);
    expect(await stock(a)).toEqual({ available: 8, reserved: 2, sold: 0 });
    expect((await inv.published(a)).at(-1)!.data).toEqual({ productId: a, available: 8, reserved: 2, version: expect.any(Number) });
    expect(await inv.reservation(late)).toMatchObject({ status: 'released', reason: 'reservation expired', expired: true });

    // A reserve retried for the expired order holds nothing; a release replies with the expiry.
    await inv.reserve(late, [{ productId: a, quantity: 3 }]);
    await inv.release(late, 'payment declined');
    expect((await inv.published(late)).slice(2)).toEqual([expiredRelease(late, [{ productId: a, quantity: 3 }])]);
    expect(await stock(a)).toEqual({ available: 8, reserved: 2, sold: 0 });
  });

  it('sweeps in batches until none is left', async () => {
    const a = await inv.createProduct(20);
    const orders = Array.from({ length: 5 }, () => randomUUID());
    for (const orderId of orders) {
      await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
      await inv.backdate(orderId);
    }
    expect(await inv.sweep(2)).toBe(5);
    expect(await stock(a)).toEqual({ available: 20, reserved: 0, sold: 0 });
  });

  it('never expires a committed reservation', async () => {
    const a = await inv.createProduct(4);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 1 }]);
    await inv.commit(orderId);
    await inv.backdate(orderId);
    expect(await inv.sweep()).toBe(0);
    expect(await stock(a)).toEqual({ available: 3, reserved: 0, sold: 1 });
  });

  it('commits a held reservation past its expiry that the sweep has not reached yet', async () => {
    const a = await inv.createProduct(4);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 2 }]);
    await inv.backdate(orderId);
    await inv.commit(orderId);
    expect(await inv.sweep()).toBe(0);
    expect((await inv.published(orderId)).map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.committed']);
    expect(await stock(a)).toEqual({ available: 2, reserved: 0, sold: 2 });
  });

  it('takes the stock again when an expired reservation is committed and every line still fits', async () => {
    const a = await inv.createProduct(5);
    const b = await inv.createProduct(5);
    const orderId = randomUUID();
    const items = [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }, { productId: a, quantity: 1 }];
    await inv.reserve(orderId, items);
    await inv.backdate(orderId);
    await inv.sweep();
    expect(await stock(a)).toEqual({ available: 5, reserved: 0, sold: 0 });

    await inv.commit(orderId);
    await inv.commit(orderId);
    const replies = await inv.published(orderId);
    expect(replies.map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.released', 'inventory.committed', 'inventory.committed']);
    expect(replies[2]!.data).toEqual({ orderId, items });
    expect(await stock(a)).toEqual({ available: 2, reserved: 0, sold: 3 });
    expect(await stock(b)).toEqual({ available: 4, reserved: 0, sold: 1 });
    expect((await inv.published(a)).at(-1)!.data).toEqual({ productId: a, available: 2, reserved: 0, version: expect.any(Number) });
    expect((await inv.reservation(orderId))?.status).toBe('committed');
  });

  it('refuses to commit an expired reservation whose stock has gone, taking nothing', async () => {
    const a = await inv.createProduct(3);
    const b = await inv.createProduct(3);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId: a, quantity: 1 }, { productId: b, quantity: 3 }]);
    await inv.backdate(orderId);
    await inv.sweep();
    // Someone else buys most of b meanwhile.
    const other = randomUUID();
    await inv.reserve(other, [{ productId: b, quantity: 2 }]);

    await inv.commit(orderId);
    expect((await inv.published(orderId)).at(-1)).toEqual({
      type: 'inventory.reservation-failed',
      subject: orderId,
      data: { orderId, reason: 'expired', shortages: [{ productId: b, requested: 3, available: 1 }] },
    });
    expect(await stock(a)).toEqual({ available: 3, reserved: 0, sold: 0 });
    expect(await stock(b)).toEqual({ available: 1, reserved: 2, sold: 0 });
    expect((await inv.reservation(orderId))?.status).toBe('released');

    // The saga's compensating release then gets its reply, and nothing moves.
    await inv.release(orderId, 'reservation expired before commit');
    expect((await inv.published(orderId)).at(-1)).toMatchObject({ type: 'inventory.released', data: { expired: true } });
    expect(await stock(b)).toEqual({ available: 1, reserved: 2, sold: 0 });
  });

  it('runs the sweep as a background task from start', async () => {
    const fast = await startInventory(kind, { RESERVATION_SWEEP_MS: '100' });
    try {
      const a = await fast.createProduct(2);
      const orderId = randomUUID();
      await fast.reserve(orderId, [{ productId: a, quantity: 2 }]);
      await fast.backdate(orderId);
      await expect.poll(async () => (await fast.reservation(orderId))?.status, { timeout: 10_000 }).toBe('released');
      expect((await fast.published(orderId)).at(-1)).toEqual(expiredRelease(orderId, [{ productId: a, quantity: 2 }]));
      await fast.checkInvariants();
    } finally {
      await fast.close();
    }
  });
});
