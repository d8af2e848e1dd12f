import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEvent, describeOnDatabases } from '@emporium/testing';
import { productCreated } from '@emporium/contracts/catalog';
import { startCart, type CartService } from './helpers.ts';

describeOnDatabases('cart events', (kind) => {
  let c: CartService;
  beforeAll(async () => {
    c = await startCart(kind);
  });
  afterAll(() => c.close());

  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

  it('reprices carts when product.updated arrives, with no call to the catalog', async () => {
    const userId = randomUUID();
    const tea = await c.product({ name: 'Sencha', amount: 1000 });
    await c.add(userId, tea, 2);
    await c.updateProduct(tea, { name: 'Sencha, first flush', amount: 1200 });

    const cart = await c.cart(userId);
    expect(cart.items[0]).toMatchObject({ name: 'Sencha, first flush', unitPrice: { amount: 1200 }, lineTotal: { amount: 2400 } });
    expect(cart.total.amount).toBe(2400);
  });

  it('applies product.updated even when product.created never arrived, and ignores a created that arrives late', async () => {
    const userId = randomUUID();
    const id = randomUUID();
    await c.updateProduct(id, { name: 'Matcha', amount: 2500 });
    expect((await c.add(userId, id, 1)).statusCode).toBe(200);

    // The created event was older than the update: it must not bring the old name and price back.
    await c.product({ id, name: 'Matcha (old)', amount: 2000, time: minutesAgo(5) });
    expect((await c.cart(userId)).items[0]).toMatchObject({ name: 'Matcha', unitPrice: { amount: 2500 } });
  });

  it('leaves a deleted product out of the cart and its total, and refuses to add it again', async () => {
    const userId = randomUUID();
    const tea = await c.product({ amount: 300 });
    const mug = await c.product({ amount: 700 });
    await c.add(userId, tea, 1);
    await c.add(userId, mug, 2);
    await c.deleteProduct(tea);

    const cart = await c.cart(userId);
    expect(cart.items.map((l) => l.productId)).toEqual([mug]);
    expect(cart).toMatchObject({ itemCount: 2, total: { amount: 1400, currency: 'USD' } });
    expect((await c.add(userId, tea, 1)).json()).toMatchObject({ code: 'CART_UNKNOWN_PRODUCT' });
    expect((await c.set(userId, tea, 3)).json()).toMatchObject({ code: 'CART_ITEM_NOT_FOUND' });
  });

  it('keeps a product deleted when its created or updated event arrives after the deletion', async () => {
    const id = randomUUID();
    await c.deleteProduct(id);
    await c.product({ id, time: minutesAgo(2) });
    await c.updateProduct(id, { amount: 100, time: minutesAgo(1) });
    expect((await c.add(randomUUID(), id, 1)).json()).toMatchObject({ code: 'CART_UNKNOWN_PRODUCT' });
  });

  it('changes nothing when a product event is delivered twice', async () => {
    const userId = randomUUID();
    const id = randomUUID();
    const created = cloudEvent(productCreated, { productId: id, sku: 'TWICE-1', name: 'Twice', price: { amount: 400, currency: 'USD' }, category: 'tea', initialStock: 1 }, id);
    await c.deliver(created);
    await c.updateProduct(id, { name: 'Twice, renamed', amount: 450 });
    // A redelivery of the older created event finds it in the inbox and does nothing.
    await c.deliver(created);
    await c.add(userId, id, 1);
    expect((await c.cart(userId)).items[0]).toMatchObject({ name: 'Twice, renamed', unitPrice: { amount: 450 } });
  });

  it('removes the ordered products from the cart on order.confirmed, keeping lines added since', async () => {
    const userId = randomUUID();
    const [tea, mug, pot] = [await c.product(), await c.product(), await c.product()];
    await c.add(userId, tea, 2);
    await c.add(userId, mug, 1);
    const ordered = c.confirmed(userId, [tea, mug]);
    // Added while checkout ran: it was not ordered, so it stays.
    await c.add(userId, pot, 4);
    const before = await c.cart(userId);

    await c.deliver(ordered);
    const after = await c.cart(userId);
    expect(after.items.map((l) => [l.productId, l.quantity])).toEqual([[pot, 4]]);
    expect(Date.parse(after.updatedAt!)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt!));

    // Delivered again: the inbox has it, so the line added back since is not removed.
    await c.add(userId, tea, 1);
    await c.deliver(ordered);
    expect((await c.cart(userId)).items.map((l) => l.productId).sort()).toEqual([pot, tea].sort());
    expect(await c.built.ctx.messaging.deadLetters()).toEqual([]);
  });

  it('leaves the cart alone for an order not placed from it, and for another user\'s order', async () => {
    const userId = randomUUID();
    const tea = await c.product();
    await c.add(userId, tea, 2);
    const before = await c.cart(userId);

    await c.deliver(c.confirmed(userId, [tea], false));
    await c.deliver(c.confirmed(randomUUID(), [tea]));
    expect(await c.cart(userId)).toEqual(before);
  });

  it('creates no cart for a customer who had none when their order is confirmed', async () => {
    const userId = randomUUID();
    await c.deliver(c.confirmed(userId, [randomUUID()]));
    expect((await c.cart(userId)).updatedAt).toBeNull();
  });
});
