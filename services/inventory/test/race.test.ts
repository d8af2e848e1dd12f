import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cloudEvent, describeOnDatabases } from '@emporium/testing';
import { commitStock, releaseStock, reserveStock } from '@emporium/contracts/inventory';
import { startInventory, type Inventory } from './helpers.ts';

/** The orders among `orderIds` whose first reply was `type`. */
async function answeredWith(inv: Inventory, orderIds: string[], type: string): Promise<string[]> {
  const answered: string[] = [];
  for (const orderId of orderIds) if ((await inv.published(orderId))[0]?.type === type) answered.push(orderId);
  return answered;
}

// On PostgreSQL these deliveries really run side by side (the pool holds four connections);
// on PGlite they are serialized, and must come out just as right.
describeOnDatabases('inventory under concurrency', (kind) => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await startInventory(kind);
  });
  afterEach(() => inv.checkInvariants());
  afterAll(() => inv?.close());

  it('lets exactly as many orders as there are units have the last units', async () => {
    const a = await inv.createProduct(7);
    const orders = Array.from({ length: 25 }, () => randomUUID());
    await Promise.all(orders.map((orderId) => inv.deliver(cloudEvent(reserveStock, { orderId, items: [{ productId: a, quantity: 1 }] }, orderId))));

    expect(await answeredWith(inv, orders, 'inventory.reserved')).toHaveLength(7);
    expect(await answeredWith(inv, orders, 'inventory.reservation-failed')).toHaveLength(18);
    expect(await inv.counters(a)).toMatchObject({ available: 0, reserved: 7, sold: 0, received: 7 });
  });

  it('reserves all or nothing, without deadlock, when orders name the same products in different orders', async () => {
    const products = [await inv.createProduct(10), await inv.createProduct(10), await inv.createProduct(10)];
    const orders = Array.from({ length: 24 }, () => randomUUID());
    const permutations = [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1], [2, 0, 1], [1, 0, 2]];
    await Promise.all(orders.map((orderId, i) => {
      const items = permutations[i % permutations.length]!.map((p) => ({ productId: products[p]!, quantity: 1 }));
      return inv.deliver(cloudEvent(reserveStock, { orderId, items }, orderId));
    }));

    expect(await answeredWith(inv, orders, 'inventory.reserved')).toHaveLength(10);
    for (const productId of products) expect(await inv.counters(productId)).toMatchObject({ available: 0, reserved: 10 });
  });

  it('keeps every unit accounted for while reserves, commits, releases, restocks and the sweep all run at once', async () => {
    const [a, b] = [await inv.createProduct(50), await inv.createProduct(30)];
    const orders = Array.from({ length: 20 }, () => randomUUID());
    // 1. Twenty orders of three units (two of a, one of b): all fit.
    await Promise.all(orders.map((orderId, i) => {
      const items = i % 2 ? [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }] : [{ productId: b, quantity: 1 }, { productId: a, quantity: 2 }];
      return inv.deliver(cloudEvent(reserveStock, { orderId, items }, orderId));
    }));
    expect(await answeredWith(inv, orders, 'inventory.reserved')).toHaveLength(20);

    // 2. At once: commit a third, release a third, let the rest expire under the sweep, restock
    //    both products, and send twenty more orders that race for what is left.
    const [toCommit, toRelease, toExpire] = [orders.slice(0, 7), orders.slice(7, 14), orders.slice(14)];
    for (const orderId of toExpire) await inv.backdate(orderId);
    const late = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all([
      ...toCommit.map((orderId) => inv.deliver(cloudEvent(commitStock, { orderId }, orderId))),
      ...toRelease.map((orderId) => inv.deliver(cloudEvent(releaseStock, { orderId, reason: 'cancelled' }, orderId))),
      ...late.map((orderId) => inv.deliver(cloudEvent(reserveStock, { orderId, items: [{ productId: b, quantity: 1 }, { productId: a, quantity: 1 }] }, orderId))),
      inv.sweep(2),
      inv.app.inject({ method: 'PUT', url: `/inventory/${a}`, headers: inv.admin, payload: { available: 25 } }),
      inv.app.inject({ method: 'PUT', url: `/inventory/${b}`, headers: inv.admin, payload: { available: 25 } }),
    ]);
    await inv.sweep();

    // 3. The committed orders are sold whatever ran around them; checkInvariants (after each
    //    test) proves every held and sold unit belongs to a reservation.
    for (const orderId of toCommit) expect((await inv.reservation(orderId))?.status).toBe('committed');
    for (const orderId of [...toRelease, ...toExpire]) expect((await inv.reservation(orderId))?.status).toBe('released');
    expect(await inv.counters(a)).toMatchObject({ sold: 14 });
    expect(await inv.counters(b)).toMatchObject({ sold: 7 });
  });
});
