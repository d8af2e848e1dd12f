import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startInventory, type Inventory } from './helpers.ts';

describeOnDatabases('inventory stock', (kind) => {
  let inv: Inventory;
  beforeAll(async () => {
    inv = await startInventory(kind);
  });
  afterEach(() => inv.checkInvariants());
  afterAll(() => inv?.close());

  const get = (productId: string) => inv.app.inject({ method: 'GET', url: `/inventory/${productId}` });
  const put = (productId: string, payload: unknown, headers: Record<string, string> = inv.admin) =>
    inv.app.inject({ method: 'PUT', url: `/inventory/${productId}`, headers, payload: payload as object });

  it('opens stock on product.created, once, and tells the catalog', async () => {
    const productId = await inv.createProduct(12);
    const res = await get(productId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ productId, available: 12, reserved: 0 });
    expect(await inv.counters(productId)).toEqual({ product_id: productId, available: 12, reserved: 0, sold: 0, received: 12 });

    // A second product.created for the same product (a new event id) changes nothing.
    await inv.createProduct(99, productId);
    expect(await inv.counters(productId)).toMatchObject({ available: 12, received: 12 });
    expect(await inv.published(productId)).toEqual([{ type: 'stock.changed', subject: productId, data: { productId, available: 12, reserved: 0, version: 1 } }]);
  });

  it('answers 404 problem+json for a product it has no stock for', async () => {
    const res = await get(randomUUID());
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'INVENTORY_PRODUCT_NOT_FOUND' });
  });

  it('lets an admin set the available stock, counting the difference as received', async () => {
    const productId = await inv.createProduct(10);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId, quantity: 3 }]);

    const up = await put(productId, { available: 20 });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ productId, available: 20, reserved: 3 });
    expect(await inv.counters(productId)).toMatchObject({ available: 20, reserved: 3, sold: 0, received: 23 });

    // Writing stock off lowers what was received; held units stay held.
    const down = await put(productId, { available: 0 });
    expect(down.json()).toEqual({ productId, available: 0, reserved: 3 });
    expect(await inv.counters(productId)).toMatchObject({ available: 0, reserved: 3, received: 3 });

    // Setting the same figure again is no change, and says nothing.
    const before = (await inv.published(productId)).length;
    expect((await put(productId, { available: 0 })).statusCode).toBe(200);
    const changes = (await inv.published(productId)).map((e) => e.data);
    expect(changes).toHaveLength(before);
    // Each change carries the product's stock version, bumped in the transaction that made it, so the catalog can tell a stale one.
    expect(changes).toEqual([
      { productId, available: 10, reserved: 0, version: 1 },
      { productId, available: 7, reserved: 3, version: 2 },
      { productId, available: 20, reserved: 3, version: 3 },
      { productId, available: 0, reserved: 3, version: 4 },
    ]);
  });

  it('refuses the PUT without a token (401) and to a customer (403), changing nothing', async () => {
    const productId = await inv.createProduct(5);
    const anonymous = await put(productId, { available: 50 }, {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const customer = await put(productId, { available: 50 }, inv.customer);
    expect(customer.statusCode).toBe(403);
    expect(customer.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await get(productId)).json()).toEqual({ productId, available: 5, reserved: 0 });
  });

  it('answers 400 problem+json to a bad id or body, changing nothing', async () => {
    const productId = await inv.createProduct(5);
    const bad: Array<[string, unknown]> = [
      ['not-a-uuid', { available: 1 }],
      [productId, { available: -1 }],
      [productId, { available: 1.5 }],
      [productId, { available: '7' }],
      [productId, { available: 1_000_000_001 }],
      [productId, {}],
      [productId, { available: 1, reserved: 0 }],
      [productId, []],
    ];
    for (const [id, body] of bad) {
      const res = await put(id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    const malformed = await inv.app.inject({ method: 'PUT', url: `/inventory/${productId}`, headers: { ...inv.admin, 'content-type': 'application/json' }, payload: '{"available":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    expect((await get('not-a-uuid')).statusCode).toBe(400);
    expect((await get(productId)).json()).toEqual({ productId, available: 5, reserved: 0 });
    expect(await inv.published(productId)).toHaveLength(1);
  });

  it('answers 404 to a PUT for an unknown product', async () => {
    const res = await put(randomUUID(), { available: 3 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'INVENTORY_PRODUCT_NOT_FOUND' });
  });

  it('discontinues a deleted product: reservations of it fail as unknown-product, and its stock is no longer shown', async () => {
    const productId = await inv.createProduct(5);
    const held = randomUUID();
    await inv.reserve(held, [{ productId, quantity: 2 }]);
    await inv.deleteProduct(productId);
    await inv.deleteProduct(productId);

    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId, quantity: 1 }]);
    expect((await inv.published(orderId)).map((e) => e.data)).toEqual([{ orderId, reason: 'unknown-product', shortages: [{ productId, requested: 1, available: 0 }] }]);
    expect((await get(productId)).statusCode).toBe(404);
    expect((await put(productId, { available: 9 })).statusCode).toBe(404);

    // The order that held it before the deletion can still be sold.
    await inv.commit(held);
    expect((await inv.published(held)).map((e) => e.type)).toEqual(['inventory.reserved', 'inventory.committed']);
    expect(await inv.counters(productId)).toMatchObject({ available: 3, reserved: 0, sold: 2, received: 5 });
  });

  it('keeps a product deleted when product.deleted overtakes product.created', async () => {
    const productId = randomUUID();
    await inv.deleteProduct(productId);
    await inv.createProduct(8, productId);
    expect((await get(productId)).statusCode).toBe(404);
    const orderId = randomUUID();
    await inv.reserve(orderId, [{ productId, quantity: 1 }]);
    expect((await inv.published(orderId))[0]).toMatchObject({ type: 'inventory.reservation-failed', data: { reason: 'unknown-product' } });
  });

  it('describes its routes in /openapi.json', async () => {
    const res = await inv.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const path = res.json().paths['/inventory/{productId}'];
    expect(Object.keys(path).sort()).toEqual(['get', 'put']);
    expect(Object.keys(path.put.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
  });
});
