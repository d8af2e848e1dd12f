import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { orderConfirmed } from '@emporium/contracts/orders';
import { onOrderConfirmed } from './events/on-order-confirmed.ts';
import { onProductCreated } from './events/on-product-created.ts';
import { onProductDeleted } from './events/on-product-deleted.ts';
import { onProductUpdated } from './events/on-product-updated.ts';
import { recommendationRoutes } from './routes/recommendations.routes.ts';

/** Recommendations: products often bought together, from a read model of confirmed orders. */
export default defineService({
  name: 'recommendations',
  description: 'Products often bought together, counted from confirmed orders.',
  defaultPort: 8109,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    ctx.messaging.subscribe(productCreated, 'name-new-product', onProductCreated);
    ctx.messaging.subscribe(productUpdated, 'rename-product', onProductUpdated);
    ctx.messaging.subscribe(productDeleted, 'retire-product', onProductDeleted);
    ctx.messaging.subscribe(orderConfirmed, 'count-co-purchases', onOrderConfirmed);
    await app.register(recommendationRoutes, { db: ctx.db });
  },
});
