import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../tools/src/api-client.ts';
import { DEV_ACCOUNTS } from '../../tools/src/services.ts';

type Product = { id: string; name: string; price: { amount: number; currency: string }; category: { slug: string }; stock: { available: number } };
type ProductPage = { data: Product[]; pagination: { page: number; limit: number; total: number; pages: number } };

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * The end-to-end journey through the gateway, the same in both run modes: a shopper browses,
 * searches, filters and sorts, registers and signs in; an admin adds a product; the wrong
 * callers are refused; and a battery of bad inputs gets 4xx problems, never a 5xx.
 */
export function describeJourney(mode: string, start: () => Promise<{ gatewayUrl: string; stop(): Promise<void> }>): void {
  describe(`journey through the gateway (${mode})`, () => {
    let platform: { gatewayUrl: string; stop(): Promise<void> };
    let api: ApiClient;

    beforeAll(async () => {
      platform = await start();
      api = new ApiClient(platform.gatewayUrl);
    }, 180_000);
    afterAll(() => platform?.stop(), 60_000);

    it('lists the seeded catalog with its categories, paginated', async () => {
      const products = await api.get<ProductPage>('/api/v1/products?limit=10');
      expect(products.status).toBe(200);
      expect(products.body.data).toHaveLength(10);
      expect(products.body.pagination.total).toBeGreaterThanOrEqual(40);
      expect(products.body.pagination.pages).toBe(Math.ceil(products.body.pagination.total / 10));
      const categories = await api.get<{ data: Array<{ slug: string; productCount: number }> }>('/api/v1/categories');
      expect(categories.body.data.length).toBeGreaterThanOrEqual(4);
    });

    it('finds a product by the start of a word in its name, and shows its stock', async () => {
      const any = (await api.get<ProductPage>('/api/v1/products?limit=1&sort=name')).body.data[0]!;
      const word = any.name.split(/\s+/).find((w) => w.length >= 4) ?? any.name;
      const found = await api.get<ProductPage>(`/api/v1/products?search=${encodeURIComponent(word.slice(0, 4))}`);
      expect(found.body.data.map((p) => p.id)).toContain(any.id);
      const one = await api.get<Product>(`/api/v1/products/${any.id}`);
      expect(one.body.stock.available).toBeGreaterThanOrEqual(0);
    });

    it('filters by category and sorts by price and name', async () => {
      const categories = await api.get<{ data: Array<{ slug: string; productCount: number }> }>('/api/v1/categories');
      const slug = categories.body.data.find((c) => c.productCount > 1)!.slug;
      const inCategory = await api.get<ProductPage>(`/api/v1/products?category=${slug}&limit=100`);
      expect(inCategory.body.data.length).toBeGreaterThan(1);
      expect(inCategory.body.data.every((p) => p.category.slug === slug)).toBe(true);

      const up = (await api.get<ProductPage>('/api/v1/products?sort=price&limit=100')).body.data.map((p) => p.price.amount);
      expect(up).toEqual([...up].sort((a, b) => a - b));
      const down = (await api.get<ProductPage>('/api/v1/products?sort=-price&limit=100')).body.data.map((p) => p.price.amount);
      expect(down).toEqual([...down].sort((a, b) => b - a));
      const names = (await api.get<ProductPage>('/api/v1/products?sort=name&limit=100')).body.data.map((p) => p.name);
      expect(names[0]!.localeCompare(names.at(-1)!)).toBeLessThanOrEqual(0);
    });

    it('registers a shopper, who signs in and sees their profile', async () => {
      const email = `e2e-${Date.now()}@example.com`;
      const reg = await api.post<{ user: { email: string }; accessToken: string }>('/api/v1/auth/register', { email, password: 'correct horse battery', name: 'E2E Shopper' });
      expect(reg.status).toBe(201);
      expect(reg.body.user.email).toBe(email);
      const again = await api.post('/api/v1/auth/register', { email: email.toUpperCase(), password: 'correct horse battery', name: 'Twin' });
      expect(again.status).toBe(409);
      const shopper = await api.login(email, 'correct horse battery');
      const me = await shopper.get<{ email: string; roles: string[] }>('/api/v1/users/me');
      expect(me.status).toBe(200);
      expect(me.body.roles).toEqual(['customer']);
      const wrong = await api.post('/api/v1/auth/login', { email, password: 'not the password' });
      expect(wrong.status).toBe(401);

      // user.registered travels from identity's outbox to notifications, which sends a welcome.
      await vi.waitFor(async () => {
        const inbox = await shopper.get<{ data: Array<{ template: string; body: string }> }>('/api/v1/notifications');
        expect(inbox.status).toBe(200);
        expect(inbox.body.data.map((n) => n.template)).toEqual(['welcome']);
        expect(inbox.body.data[0]!.body).toContain('E2E Shopper');
      }, { timeout: 10_000, interval: 100 });
    });

    it('lets an admin add a product that shoppers then find; customers get 403 and strangers 401', async () => {
      const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
      const category = (await api.get<{ data: Array<{ slug: string }> }>('/api/v1/categories')).body.data[0]!.slug;
      const product = { sku: `E2E-${Date.now()}`, name: 'Zephyrine Teapot', description: 'A cast-iron teapot for the end-to-end test.', price: { amount: 4599, currency: 'USD' }, category, initialStock: 7 };

      const created = await admin.post<Product>('/api/v1/products', product);
      expect(created.status).toBe(201);
      const read = await api.get<Product>(`/api/v1/products/${created.body.id}`);
      expect(read.body.stock.available).toBe(7);
      const found = await api.get<ProductPage>('/api/v1/products?search=zephyr');
      expect(found.body.data.map((p) => p.id)).toContain(created.body.id);

      const shopper = await api.login(DEV_ACCOUNTS.shopper.email, DEV_ACCOUNTS.shopper.password);
      expect((await shopper.post('/api/v1/products', { ...product, sku: `${product.sku}-c` })).status).toBe(403);
      expect((await api.post('/api/v1/products', { ...product, sku: `${product.sku}-a` })).status).toBe(401);
    });

    it('refuses tampered and alg:none tokens', async () => {
      const shopper = await api.post<{ accessToken: string }>('/api/v1/auth/login', { email: DEV_ACCOUNTS.shopper.email, password: DEV_ACCOUNTS.shopper.password });
      const [h, p, s] = shopper.body.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const tampered = `${h}.${b64({ ...claims, roles: ['customer', 'admin'] })}.${s}`;
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, roles: ['customer', 'admin'] })}.`;
      for (const token of [tampered, none]) {
        const res = await api.as(token).get('/api/v1/users/me');
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('answers a battery of bad inputs with 4xx problem+json and never a 5xx', async () => {
      const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
      const good = { sku: 'BAD-1', name: 'n', description: 'd', price: { amount: 100, currency: 'USD' }, category: 'x' };
      const cases: Array<[string, ApiClient, string, string, unknown?, Record<string, string>?]> = [
        ['broken JSON', admin, 'POST', '/api/v1/products', '{"sku": "x",', { 'content-type': 'application/json' }],
        ['wrong type', admin, 'POST', '/api/v1/products', { ...good, price: { amount: '12', currency: 'USD' } }],
        ['missing field', admin, 'POST', '/api/v1/products', { sku: 'BAD-2' }],
        ['negative money', admin, 'POST', '/api/v1/products', { ...good, price: { amount: -1, currency: 'USD' } }],
        ['fractional money', admin, 'POST', '/api/v1/products', { ...good, price: { amount: 12.5, currency: 'USD' } }],
        ['unknown sort key', api, 'GET', '/api/v1/products?sort=price;DROP TABLE products'],
        ['injection in login', api, 'POST', '/api/v1/auth/login', { email: "' OR 1=1 --", password: "' OR '1'='1" }],
        ['huge id', api, 'GET', `/api/v1/products/${'9'.repeat(5000)}`],
        ['non-uuid id', api, 'GET', '/api/v1/products/not-an-id'],
        ['page zero', api, 'GET', '/api/v1/products?page=0'],
        ['limit too large', api, 'GET', '/api/v1/products?limit=100000'],
        ['wrong content type', admin, 'POST', '/api/v1/products', 'sku=x', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['6 MiB body', admin, 'POST', '/api/v1/products', JSON.stringify({ ...good, description: 'x'.repeat(6 * 1024 * 1024) }), { 'content-type': 'application/json' }],
        ['unknown route', api, 'GET', '/api/v1/no-such-thing'],
        ['register with numbers', api, 'POST', '/api/v1/auth/register', { email: 1, password: 2, name: 3 }],
      ];
      for (const [name, client, method, path, body, headers] of cases) {
        const res = await client.call(method, path, body, headers);
        expect(res.status, name).toBeGreaterThanOrEqual(400);
        expect(res.status, name).toBeLessThan(500);
        expect(res.headers.get('content-type'), name).toContain('application/problem+json');
      }
      // Injection strings in a search are searched as plain words, and change nothing.
      const before = (await api.get<ProductPage>('/api/v1/products?limit=1')).body.pagination.total;
      for (const search of ["'); DROP TABLE products; --", 'a:* | !b', '%00 OR 1=1']) {
        const res = await api.get<ProductPage>(`/api/v1/products?search=${encodeURIComponent(search)}`);
        expect(res.status, search).toBe(200);
      }
      expect((await api.get<ProductPage>('/api/v1/products?limit=1')).body.pagination.total).toBe(before);
    });

    it('stamps every answer with a correlation id and a traceparent, and serves JWKS and the API docs', async () => {
      const res = await api.call('GET', '/api/v1/products?limit=1', undefined, { 'x-correlation-id': 'journey-1' });
      expect(res.headers.get('x-correlation-id')).toBe('journey-1');
      expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      const jwks = await api.get<{ keys: Array<{ kid: string; alg: string }> }>('/.well-known/jwks.json');
      expect(jwks.body.keys[0]!.alg).toMatch(/EdDSA|RS256/);
      const doc = await api.get<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/products', '/api/v1/auth/login', '/api/v1/users/me']));
      const page = await fetch(`${platform.gatewayUrl}/api/v1/docs`);
      expect(await page.text()).toContain('swagger-ui-bundle.js');
    });
  });
}
