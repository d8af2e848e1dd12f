import { fileURLToPath } from 'node:url';
import { defineService, scrapedGauge } from '@emporium/kit';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { shipmentDelivered, shipmentDispatched } from '@emporium/contracts/shipping';
import { ordersSettings } from './config.ts';
import { countSagasByStatus } from './db/sagas.repository.ts';
import { onProductChanged, onProductDeleted } from './events/on-product-changed.ts';
import { onShipmentProgress } from './events/on-shipment-progress.ts';
import { OrderHistoryProjection } from './read-models/order-history.ts';
import { OrderStatusFeed } from './read-models/status-feed.ts';
import { orderEventsRoutes } from './routes/order-events.routes.ts';
import { orderRoutes } from './routes/orders.routes.ts';
import { sagaRoutes } from './routes/sagas.routes.ts';
import { createCheckoutSaga } from './sagas/checkout.ts';

/** Orders: placing orders, the orchestrated checkout saga, and the order-history read model. */
export default defineService({
  name: 'orders',
  description: 'Orders and the checkout saga that reserves stock, takes payment and schedules shipping, with compensation when a step fails.',
  defaultPort: 8105,
  settings: ordersSettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    const { db, messaging, settings, verifier } = ctx;
    const saga = createCheckoutSaga(messaging, {
      stepTimeoutMs: settings.SAGA_STEP_TIMEOUT_MS,
      compensationTimeoutMs: settings.SAGA_COMPENSATION_TIMEOUT_MS,
      compensationAttempts: settings.SAGA_COMPENSATION_ATTEMPTS,
    }, ctx.log);
    saga.subscribe();
    ctx.background('saga-deadlines', settings.SAGA_TIMER_MS, () => saga.expire(db));
    scrapedGauge(ctx.metrics, { name: 'orders_sagas', help: 'Checkout sagas by status (RUNNING, COMPENSATING, COMPLETED, COMPENSATED, FAILED)', labelNames: ['status'] }, async () =>
      (await countSagasByStatus(db)).map(({ status, n }) => ({ labels: { status }, value: n })),
    );

    messaging.subscribe(productCreated, 'price-new-products', onProductChanged);
    messaging.subscribe(productUpdated, 'reprice-products', onProductChanged);
    messaging.subscribe(productDeleted, 'stop-selling-products', onProductDeleted);
    messaging.subscribe(shipmentDispatched, 'follow-dispatch', onShipmentProgress(messaging));
    messaging.subscribe(shipmentDelivered, 'follow-delivery', onShipmentProgress(messaging));

    const feed = new OrderStatusFeed();
    const history = new OrderHistoryProjection(db, feed);
    history.subscribe(messaging);
    // Other replicas' projections announce their commits with NOTIFY (PostgreSQL only).
    const unlisten = await db.listen?.(OrderStatusFeed.CHANNEL, () => feed.announceAll());
    if (unlisten) ctx.onClose(unlisten);

    const cart = ctx.upstream({ name: 'cart', urls: settings.CART_URL, timeoutMs: 2_000 });
    const payments = ctx.upstream({ name: 'payments', urls: settings.PAYMENTS_URL, timeoutMs: 5_000 });
    const shipping = ctx.upstream({ name: 'shipping', urls: settings.SHIPPING_URL, timeoutMs: 2_000 });
    await app.register(orderRoutes, { db, verifier, messaging, saga, cart, payments, shipping });
    await app.register(orderEventsRoutes, { db, verifier, feed, pollMs: settings.ORDER_STREAM_POLL_MS, perUser: settings.ORDER_STREAMS_PER_USER });
    await app.register(sagaRoutes, { db, verifier, saga, history });
  },
});
