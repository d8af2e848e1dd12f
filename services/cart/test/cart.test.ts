import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startCart, type CartService } from './helpers.ts';

describeOnDatabases('cart', (kind) => {
  let c: CartService;
  beforeAll(async () => {
    c = await startCart(kind);
  });
  afterAll(() => c.close());

  it('gives a user who never touched their cart an empty one, with no updatedAt', async () => {
    const userId = randomUUID();
    expect(await c.cart(userId)).toEqual({ userId, items: [], itemCount: 0, total: { amount: 0, currency: 'USD' }, updatedAt: null });
  });

  it('adds products, sums a product added twice, and prices every line', async () => {
    const userId = randomUUID();
    const tea = await c.product({ name: 'Sencha', amount: 1250 });
    const mug = await c.product({ name: 'Mug', amount: 899 });

    const first = await c.add(userId, tea, 2);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toEqual([{ productId: tea, name: 'Sencha', quantity: 2, unitPrice: { amount: 1250, currency: 'USD' }, lineTotal: { amount: 2500, currency: 'USD' } }]);
    await c.add(userId, mug, 1);
    const again = await c.add(userId, tea, 3);
    expect(again.statusCode).toBe(200);

    const cart = await c.cart(userId);
    expect(cart).toEqual(again.json());
    expect(cart.items.map((l) => [l.name, l.quantity, l.lineTotal.amount])).toEqual([['Sencha', 5, 6250], ['Mug', 1, 899]]);
    expect(cart.itemCount).toBe(6);
    expect(cart.total).toEqual({ amount: 7149, currency: 'USD' });
    expect(Date.parse(cart.updatedAt!)).not.toBeNaN();
  });

  it('refuses an unknown or deleted product with 422 CART_UNKNOWN_PRODUCT and changes nothing', async () => {
    const userId = randomUUID();
    const gone = await c.product();
    await c.deleteProduct(gone);
    for (const productId of [randomUUID(), gone]) {
      const res = await c.add(userId, productId, 1);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 422, code: 'CART_UNKNOWN_PRODUCT' });
    }
    expect((await c.cart(userId)).updatedAt).toBeNull();
  });

  it('refuses to take a line above 99 with 422 CART_QUANTITY_LIMIT, leaving the line as it was', async () => {
    const userId = randomUUID();
    const tea = await c.product();
    expect((await c.add(userId, tea, 60)).statusCode).toBe(200);
    const before = await c.cart(userId);

    const res = await c.add(userId, tea, 40);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'CART_QUANTITY_LIMIT', detail: expect.stringContaining('99') });
    expect(await c.cart(userId)).toEqual(before);

    expect((await c.add(userId, tea, 39)).json().items[0].quantity).toBe(99);
  });

  it('sets a quantity with PATCH and removes a line with DELETE; 404 CART_ITEM_NOT_FOUND when absent', async () => {
    const userId = randomUUID();
    const tea = await c.product({ amount: 500 });
    const mug = await c.product({ amount: 700 });
    await c.add(userId, tea, 2);
    await c.add(userId, mug, 1);

    const set = await c.set(userId, tea, 7);
    expect(set.statusCode).toBe(200);
    expect(set.json().items.find((l: { productId: string }) => l.productId === tea).quantity).toBe(7);
    expect(set.json().total.amount).toBe(7 * 500 + 700);

    const removed = await c.remove(userId, tea);
    expect(removed.statusCode).toBe(200);
    expect(removed.json().items.map((l: { productId: string }) => l.productId)).toEqual([mug]);

    for (const res of [await c.set(userId, tea, 1), await c.remove(userId, tea), await c.set(userId, randomUUID(), 1)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'CART_ITEM_NOT_FOUND' });
    }
    expect((await c.cart(userId)).items.map((l) => l.productId)).toEqual([mug]);

    // Emptying the cart leaves it touched: updatedAt stays set.
    await c.remove(userId, mug);
    const empty = await c.cart(userId);
    expect(empty).toMatchObject({ items: [], itemCount: 0, total: { amount: 0 } });
    expect(empty.updatedAt).not.toBeNull();
  });

  it('loses no update when the same product is added concurrently', async () => {
    const userId = randomUUID();
    const tea = await c.product();
    const answers = await Promise.all(Array.from({ length: 10 }, () => c.add(userId, tea, 5)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect((await c.cart(userId)).items[0]!.quantity).toBe(50);
  });

  it('never lets concurrent adds pass the limit: the ones that fit succeed, the rest get 422', async () => {
    const userId = randomUUID();
    const tea = await c.product();
    const answers = await Promise.all(Array.from({ length: 15 }, () => c.add(userId, tea, 9)));
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(11);
    expect(answers.filter((r) => r.statusCode === 422).map((r) => r.json().code)).toEqual(Array(4).fill('CART_QUANTITY_LIMIT'));
    expect((await c.cart(userId)).items[0]!.quantity).toBe(99);
  });

  it('shows each customer only their own cart, and lets no one change another\'s (I7)', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const tea = await c.product();
    await c.add(alice, tea, 3);
    const alicesCart = await c.cart(alice);

    expect(await c.cart(bob)).toMatchObject({ userId: bob, items: [], updatedAt: null });
    // Bob acting on the product in Alice's cart touches only his own cart, where it is absent.
    expect((await c.set(bob, tea, 1)).statusCode).toBe(404);
    expect((await c.remove(bob, tea)).statusCode).toBe(404);
    // No part of the request can name another user.
    const smuggled = await c.app.inject({ method: 'POST', url: '/cart/items', headers: await c.auth(bob), payload: { productId: tea, quantity: 1, userId: alice } });
    expect(smuggled.statusCode).toBe(400);
    const byQuery = await c.app.inject({ method: 'GET', url: `/cart?userId=${alice}`, headers: await c.auth(bob) });
    expect(byQuery.json()).toMatchObject({ userId: bob, items: [] });

    expect(await c.cart(alice)).toEqual(alicesCart);
  });

  it('answers 401 problem+json to an anonymous caller and to a bad token, whatever the body', async () => {
    const tea = await c.product();
    const requests = [
      { method: 'GET' as const, url: '/cart' },
      { method: 'POST' as const, url: '/cart/items', payload: { productId: tea, quantity: 1 } },
      { method: 'POST' as const, url: '/cart/items', payload: { nonsense: true } },
      { method: 'PATCH' as const, url: `/cart/items/${tea}`, payload: { quantity: 1 } },
      { method: 'DELETE' as const, url: `/cart/items/${tea}` },
    ];
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      for (const request of requests) {
        const res = await c.app.inject({ ...request, headers });
        expect(res.statusCode, `${request.method} ${request.url}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      }
    }
  });

  it('documents its routes and their errors in /openapi.json', async () => {
    const doc = (await c.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/cart', '/cart/items', '/cart/items/{productId}']));
    expect(Object.keys(doc.paths['/cart/items'].post.responses).sort()).toEqual(['200', '400', '401', '422']);
  });

  it('publishes no events', async () => {
    const { rows } = await c.built.ctx.db.query('SELECT type FROM outbox');
    expect(rows).toEqual([]);
  });
});
