import { buildService } from '@emporium/kit';
import { testTokens, type DatabaseKind } from '@emporium/testing';
import type { Category, CreateProductBody, Product, ProductPage } from '@emporium/contracts/catalog';
import service from '../src/service.ts';

type Headers = { authorization: string };

/** A catalog built on a fresh database, with an admin's and a customer's headers. */
export interface Catalog {
  app: Awaited<ReturnType<typeof buildService>>['app'];
  admin: Headers;
  customer: Headers;
  createCategory(slug: string, name?: string): Promise<Category>;
  createProduct(fields: Partial<CreateProductBody> & { sku: string; category: string }): Promise<Product>;
  /** GET /products with the given query; fails the test unless it answers 200. */
  list(query?: Record<string, string | number>): Promise<ProductPage>;
  /** The events written to the outbox so far, oldest first. */
  outbox(): Promise<Array<{ type: string; subject: string; data: Record<string, unknown> }>>;
  close(): Promise<void>;
}

/** Builds the catalog service on `kind`'s database, as the tests drive it. */
export async function startCatalog(kind: DatabaseKind): Promise<Catalog> {
  const { db, close: closeDb } = await kind.open('catalog');
  const tokens = await testTokens();
  const built = await buildService(service, { source: { LOG_LEVEL: 'silent' }, db, verifier: tokens.verifier });
  const { app } = built;
  const admin = await tokens.auth({ roles: ['customer', 'admin'] });
  const customer = await tokens.auth({ roles: ['customer'] });

  const expectStatus = (res: { statusCode: number; body: string }, status: number, what: string) => {
    if (res.statusCode !== status) throw new Error(`${what}: expected ${status}, got ${res.statusCode} ${res.body}`);
  };

  return {
    app,
    admin,
    customer,
    async createCategory(slug, name = slug[0]!.toUpperCase() + slug.slice(1)) {
      const res = await app.inject({ method: 'POST', url: '/categories', headers: admin, payload: { slug, name } });
      expectStatus(res, 201, `creating category ${slug}`);
      return res.json();
    },
    async createProduct(fields) {
      const payload = { name: fields.sku, description: '', price: { amount: 1000, currency: 'USD' }, ...fields };
      const res = await app.inject({ method: 'POST', url: '/products', headers: admin, payload });
      expectStatus(res, 201, `creating product ${fields.sku}`);
      return res.json();
    },
    async list(query = {}) {
      const res = await app.inject({ method: 'GET', url: '/products', query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) });
      expectStatus(res, 200, `listing ${JSON.stringify(query)}`);
      return res.json();
    },
    async outbox() {
      const { rows } = await built.ctx.db.query<{ type: string; subject: string; data: Record<string, unknown> }>(
        "SELECT type, subject, envelope->'data' AS data FROM outbox ORDER BY seq",
      );
      return rows;
    },
    async close() {
      await built.close();
      await closeDb();
    },
  };
}
