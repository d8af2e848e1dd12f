import { ApiClient } from '../api-client.ts';
import { progress } from '../progress.ts';
import { DEV_ACCOUNTS } from '../services.ts';
import { DEMO_CATEGORIES, DEMO_PRODUCTS } from './demo-catalog.ts';

/**
 * Seeds the demo data through the public API, as an admin would: the categories, the products
 * with their stock, and the demo shopper. It is idempotent: on a catalog that already has
 * products it does nothing, and a taken sku or email is skipped.
 */
export async function seedDemo(gatewayUrl: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<{ seeded: boolean }> {
  const api = new ApiClient(gatewayUrl);
  const existing = await api.get<{ pagination: { total: number } }>('/api/v1/products?limit=1');
  if (existing.status !== 200) throw new Error(`the catalog does not answer: ${existing.status}`);
  if (existing.body.pagination.total > 0) return { seeded: false };

  const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
  for (const category of DEMO_CATEGORIES) {
    const res = await admin.post('/api/v1/categories', category);
    if (res.status !== 201 && res.status !== 409) throw new Error(`seeding category ${category.slug}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const tick = progress('Seeding the demo catalog', DEMO_PRODUCTS.length);
  let done = 0;
  for (const p of DEMO_PRODUCTS) {
    const res = await admin.post('/api/v1/products', {
      sku: p.sku,
      name: p.name,
      description: p.description,
      price: { amount: p.price, currency: 'USD' },
      category: p.category,
      initialStock: p.initialStock,
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`seeding product ${p.sku}: ${res.status} ${JSON.stringify(res.body)}`);
    tick(++done);
  }
  const shopper = await api.post('/api/v1/auth/register', DEV_ACCOUNTS.shopper);
  if (shopper.status !== 201 && shopper.status !== 409) throw new Error(`registering the demo shopper: ${shopper.status}`);
  log(`Seeded ${DEMO_CATEGORIES.length} categories, ${DEMO_PRODUCTS.length} products and the demo shopper.`);
  return { seeded: true };
}
