import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { productCreated, productDeleted } from '@emporium/contracts/catalog';
import { commitStock, releaseStock, reserveStock } from '@emporium/contracts/inventory';
import { inventorySettings } from './config.ts';
import { onCommitStock } from './events/on-commit-stock.ts';
import { onProductCreated } from './events/on-product-created.ts';
import { onProductDeleted } from './events/on-product-deleted.ts';
import { onReleaseStock } from './events/on-release-stock.ts';
import { onReserveStock } from './events/on-reserve-stock.ts';
import { inventoryPublisher } from './events/publish.ts';
import { inventoryRoutes } from './routes/inventory.routes.ts';
import { expireReservations } from './tasks/expire-reservations.ts';

/** Inventory: stock per product and the reservations the checkout saga makes against it. */
export default defineService({
  name: 'inventory',
  description: 'Stock per product, and reservations that hold, sell or release it for the checkout saga.',
  defaultPort: 8103,
  settings: inventorySettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    const { db, messaging, settings } = ctx;
    const publish = inventoryPublisher(messaging);
    messaging.subscribe(productCreated, 'open-stock', onProductCreated(publish));
    messaging.subscribe(productDeleted, 'discontinue-stock', onProductDeleted);
    messaging.subscribe(reserveStock, 'reserve-stock', onReserveStock({ publish, ttlMs: settings.RESERVATION_TTL_MS }));
    messaging.subscribe(releaseStock, 'release-stock', onReleaseStock(publish));
    messaging.subscribe(commitStock, 'commit-stock', onCommitStock(publish));
    ctx.background('expire-reservations', settings.RESERVATION_SWEEP_MS, () => expireReservations(db, publish));
    await app.register(inventoryRoutes, { db, verifier: ctx.verifier, publish });
  },
});
