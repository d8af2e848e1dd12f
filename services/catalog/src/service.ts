import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { stockChanged } from '@emporium/contracts/inventory';
import { onStockChanged } from './events/on-stock-changed.ts';
import { categoryRoutes } from './routes/categories.routes.ts';
import { productRoutes } from './routes/products.routes.ts';

/** The catalog: products and categories, searched by anyone and managed by admins. */
export default defineService({
  name: 'catalog',
  description: 'Products and categories: full-text search for shoppers, management for admins.',
  defaultPort: 8102,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    ctx.messaging.subscribe(stockChanged, 'show-stock', onStockChanged);
    const deps = { db: ctx.db, verifier: ctx.verifier, messaging: ctx.messaging };
    await app.register(categoryRoutes, deps);
    await app.register(productRoutes, deps);
  },
});
