import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startCatalog, type Catalog } from './helpers.ts';

describeOnDatabases('catalog events', (kind) => {
  let c: Catalog;
  beforeAll(async () => {
    c = await startCatalog(kind);
    await c.createCategory('tea');
    await c.createCategory('coffee');
  });
  afterAll(() => c.close());

  it('writes product.created with its initial stock, product.updated with the whole product, and product.deleted', async () => {
    const product = await c.createProduct({ sku: 'EV-1', category: 'tea', name: 'Sencha', price: { amount: 1250, currency: 'USD' }, initialStock: 9 });
    const updated = await c.app.inject({ method: 'PUT', url: `/products/${product.id}`, headers: c.admin, payload: { price: { amount: 1100, currency: 'USD' }, category: 'coffee' } });
    expect(updated.statusCode).toBe(200);
    const deleted = await c.app.inject({ method: 'DELETE', url: `/products/${product.id}`, headers: c.admin });
    expect(deleted.statusCode).toBe(204);

    const events = (await c.outbox()).filter((e) => e.subject === product.id);
    expect(events).toEqual([
      { type: 'product.created', subject: product.id, data: { productId: product.id, sku: 'EV-1', name: 'Sencha', price: { amount: 1250, currency: 'USD' }, category: 'tea', initialStock: 9 } },
      { type: 'product.updated', subject: product.id, data: { productId: product.id, sku: 'EV-1', name: 'Sencha', price: { amount: 1100, currency: 'USD' }, category: 'coffee' } },
      { type: 'product.deleted', subject: product.id, data: { productId: product.id } },
    ]);
  });

  it('writes no event when the change is refused', async () => {
    await c.createProduct({ sku: 'EV-2', category: 'tea' });
    const before = (await c.outbox()).length;
    const product = { name: 'x', description: '', price: { amount: 100, currency: 'USD' } };
    const refused = [
      await c.app.inject({ method: 'POST', url: '/products', headers: c.admin, payload: { ...product, sku: 'EV-2', category: 'tea' } }),
      await c.app.inject({ method: 'POST', url: '/products', headers: c.admin, payload: { ...product, sku: 'EV-3', category: 'nope' } }),
      await c.app.inject({ method: 'PUT', url: `/products/${crypto.randomUUID()}`, headers: c.admin, payload: { name: 'ghost' } }),
      await c.app.inject({ method: 'DELETE', url: `/products/${crypto.randomUUID()}`, headers: c.admin }),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([409, 422, 404, 404]);
    expect(await c.outbox()).toHaveLength(before);
  });
});
