import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { orderConfirmed } from '@emporium/contracts/orders';
import { onOrderConfirmed } from './events/on-order-confirmed.ts';
import { onProductCreated } from './events/on-product-created.ts';
import { onProductDeleted } from './events/on-product-deleted.ts';
import { onProductUpdated } from './events/on-product-updated.ts';
import { cartRoutes } from './routes/cart.routes.ts';

/** The cart: each customer's cart, priced from a local read model of the catalog. */
export default defineService({
  name: 'cart',
  description: 'Each customer\'s cart, priced now from the catalog\'s events, and emptied of what they order.',
  defaultPort: 8104,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    ctx.messaging.subscribe(productCreated, 'record-new-product', onProductCreated);
    ctx.messaging.subscribe(productUpdated, 'reprice-product', onProductUpdated);
    ctx.messaging.subscribe(productDeleted, 'retire-product', onProductDeleted);
    ctx.messaging.subscribe(orderConfirmed, 'clear-ordered-items', onOrderConfirmed);
    await app.register(cartRoutes, { db: ctx.db, verifier: ctx.verifier });
  },
});
