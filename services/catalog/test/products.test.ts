import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startCatalog, type Catalog } from './helpers.ts';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describeOnDatabases('catalog products and categories', (kind) => {
  let c: Catalog;
  beforeAll(async () => {
    c = await startCatalog(kind);
  });
  afterAll(() => c?.close());

  it('lets an admin create categories, listed by name with their product counts', async () => {
    await c.createCategory('coffee', 'Coffee');
    await c.createCategory('books', 'Books');
    const created = await c.app.inject({
      method: 'POST',
      url: '/categories',
      headers: c.admin,
      payload: { slug: 'desk', name: 'Desk', description: 'Keyboards and lamps.' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: expect.any(String), slug: 'desk', name: 'Desk', description: 'Keyboards and lamps.', productCount: 0 });

    await c.createProduct({ sku: 'CNT-1', category: 'books' });
    await c.createProduct({ sku: 'CNT-2', category: 'books' });
    const res = await c.app.inject({ method: 'GET', url: '/categories' });
    expect(res.statusCode).toBe(200);
    const counts = res.json().data.map((cat: { slug: string; productCount: number }) => [cat.slug, cat.productCount]);
    expect(counts).toEqual([['books', 2], ['coffee', 0], ['desk', 0]]);
  });

  it('refuses a category slug that is taken', async () => {
    const res = await c.app.inject({ method: 'POST', url: '/categories', headers: c.admin, payload: { slug: 'coffee', name: 'More coffee' } });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('CATALOG_CATEGORY_SLUG_TAKEN');
  });

  it('creates a product that reads back with its category, price and stock', async () => {
    const res = await c.app.inject({
      method: 'POST',
      url: '/products',
      headers: c.admin,
      payload: {
        sku: 'COF-ESP-001',
        name: 'House Espresso Blend',
        description: 'Chocolatey and low in acid.',
        price: { amount: 3450, currency: 'USD' },
        category: 'coffee',
        initialStock: 80,
      },
    });
    expect(res.statusCode).toBe(201);
    const product = res.json();
    expect(product).toMatchObject({
      sku: 'COF-ESP-001',
      name: 'House Espresso Blend',
      description: 'Chocolatey and low in acid.',
      price: { amount: 3450, currency: 'USD' },
      category: { slug: 'coffee', name: 'Coffee' },
      stock: { available: 80 },
    });
    expect(res.headers.location).toBe(`/products/${product.id}`);

    const read = await c.app.inject({ method: 'GET', url: res.headers.location as string });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(product);
    expect(new Date(product.createdAt).getTime()).not.toBeNaN();
  });

  it('starts a product with no stock when initialStock is not given', async () => {
    const product = await c.createProduct({ sku: 'NO-STOCK', category: 'coffee' });
    expect(product.stock).toEqual({ available: 0 });
  });

  it('stores names holding SQL as plain text', async () => {
    const name = "Robert'); DROP TABLE products; --";
    const product = await c.createProduct({ sku: 'BOBBY-1', category: 'books', name });
    const read = await c.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.json().name).toBe(name);
  });

  it('asks anonymous callers to sign in and refuses customers', async () => {
    const payload = { sku: 'AUTH-1', name: 'Nope', description: '', price: { amount: 100, currency: 'USD' }, category: 'coffee' };
    const anonymous = await c.app.inject({ method: 'POST', url: '/products', payload });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');

    const customer = await c.app.inject({ method: 'POST', url: '/products', headers: c.customer, payload });
    expect(customer.statusCode).toBe(403);
    expect(customer.json().code).toBe('FORBIDDEN');

    const forged = await c.app.inject({ method: 'POST', url: '/products', headers: { authorization: 'Bearer not.a.token' }, payload });
    expect(forged.statusCode).toBe(401);

    const product = await c.createProduct({ sku: 'AUTH-TARGET', category: 'coffee' });
    const attempts = [
      c.app.inject({ method: 'PUT', url: `/products/${product.id}`, headers: c.customer, payload: { name: 'Hijacked' } }),
      c.app.inject({ method: 'DELETE', url: `/products/${product.id}`, headers: c.customer }),
      c.app.inject({ method: 'POST', url: '/categories', headers: c.customer, payload: { slug: 'sneaky', name: 'Sneaky' } }),
      c.app.inject({ method: 'DELETE', url: `/products/${product.id}` }),
    ];
    expect((await Promise.all(attempts)).map((r) => r.statusCode)).toEqual([403, 403, 403, 401]);
    const after = await c.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(after.json().name).toBe(product.name);
    expect((await c.list({ search: 'AUTH' })).data.map((p) => p.sku)).toEqual(['AUTH-TARGET']);
  });

  it('refuses a SKU that is taken, whatever its case', async () => {
    await c.createProduct({ sku: 'DUP-1', category: 'coffee', name: 'Original' });
    for (const sku of ['DUP-1', 'dup-1']) {
      const res = await c.app.inject({
        method: 'POST',
        url: '/products',
        headers: c.admin,
        payload: { sku, name: 'Copy', description: '', price: { amount: 1, currency: 'USD' }, category: 'coffee' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('CATALOG_SKU_TAKEN');
    }
    expect((await c.list({ search: 'copy' })).pagination.total).toBe(0);
  });

  it('creates only one of several simultaneous products with the same SKU', async () => {
    const payload = { sku: 'RACE-1', name: 'Racer', description: '', price: { amount: 500, currency: 'USD' }, category: 'coffee' };
    const results = await Promise.all(Array.from({ length: 5 }, () => c.app.inject({ method: 'POST', url: '/products', headers: c.admin, payload })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await c.list({ search: 'racer' })).pagination.total).toBe(1);
  });

  it('refuses an unknown category and a currency other than USD with 422', async () => {
    const base = { sku: 'CAT-X', name: 'Lost', description: '', price: { amount: 100, currency: 'USD' }, category: 'coffee' };
    const unknown = await c.app.inject({ method: 'POST', url: '/products', headers: c.admin, payload: { ...base, category: 'garden' } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('CATALOG_UNKNOWN_CATEGORY');

    const euros = await c.app.inject({ method: 'POST', url: '/products', headers: c.admin, payload: { ...base, price: { amount: 100, currency: 'EUR' } } });
    expect(euros.statusCode).toBe(422);
    expect(euros.json().code).toBe('CATALOG_UNSUPPORTED_CURRENCY');
    expect((await c.list({ search: 'lost' })).data).toEqual([]);
  });

  it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
    const bad = await c.app.inject({ method: 'GET', url: '/products/espresso' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');

    const missing = await c.app.inject({ method: 'GET', url: `/products/${MISSING_ID}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json()).toMatchObject({ status: 404, code: 'CATALOG_PRODUCT_NOT_FOUND' });
  });

  it('updates only the fields given', async () => {
    const product = await c.createProduct({ sku: 'UPD-1', category: 'coffee', name: 'Moka Pot', description: 'Six cups.', initialStock: 7 });
    const res = await c.app.inject({
      method: 'PUT',
      url: `/products/${product.id}`,
      headers: c.admin,
      payload: { name: 'Moka Pot Deluxe', price: { amount: 4999, currency: 'USD' }, category: 'desk' },
    });
    expect(res.statusCode).toBe(200);
    const updated = res.json();
    expect(updated).toMatchObject({
      id: product.id,
      sku: 'UPD-1',
      name: 'Moka Pot Deluxe',
      description: 'Six cups.',
      price: { amount: 4999, currency: 'USD' },
      category: { slug: 'desk', name: 'Desk' },
      stock: { available: 7 },
      createdAt: product.createdAt,
    });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(product.updatedAt).getTime());
    const read = await c.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.json()).toEqual(updated);
    expect((await c.list({ search: 'deluxe' })).data.map((p) => p.id)).toEqual([product.id]);
  });

  it('refuses updates to a taken SKU, an unknown category or a missing product', async () => {
    const product = await c.createProduct({ sku: 'UPD-2', category: 'coffee' });
    const put = (id: string, payload: object) => c.app.inject({ method: 'PUT', url: `/products/${id}`, headers: c.admin, payload });

    const taken = await put(product.id, { sku: 'COF-ESP-001' });
    expect([taken.statusCode, taken.json().code]).toEqual([409, 'CATALOG_SKU_TAKEN']);
    const unknown = await put(product.id, { category: 'garden' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([422, 'CATALOG_UNKNOWN_CATEGORY']);
    const missing = await put(MISSING_ID, { name: 'Ghost' });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'CATALOG_PRODUCT_NOT_FOUND']);
    const empty = await put(product.id, {});
    expect(empty.statusCode).toBe(400);
    const stock = await put(product.id, { initialStock: 5 });
    expect(stock.statusCode).toBe(400);

    const read = await c.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.json()).toEqual(product);
  });

  it('deletes a product, after which it is gone', async () => {
    const product = await c.createProduct({ sku: 'DEL-1', category: 'coffee', name: 'Doomed Teapot' });
    expect((await c.list({ search: 'doomed' })).data).toHaveLength(1);
    const del = await c.app.inject({ method: 'DELETE', url: `/products/${product.id}`, headers: c.admin });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');

    const read = await c.app.inject({ method: 'GET', url: `/products/${product.id}` });
    expect(read.statusCode).toBe(404);
    const again = await c.app.inject({ method: 'DELETE', url: `/products/${product.id}`, headers: c.admin });
    expect(again.statusCode).toBe(404);
    expect((await c.list({ search: 'doomed' })).data).toEqual([]);
  });

  it('describes every route in /openapi.json', async () => {
    const res = await c.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    expect(Object.keys(paths['/products']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/products/{id}']).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(paths['/categories']).sort()).toEqual(['get', 'post']);
    expect(paths['/products'].post.responses['409'].content['application/problem+json']).toBeDefined();
    expect(paths['/products'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['category', 'limit', 'page', 'search', 'sort']);
  });
});
