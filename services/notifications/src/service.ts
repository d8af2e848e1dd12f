import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { userRegistered } from '@emporium/contracts/identity';
import { orderCancelled, orderConfirmed, orderDelivered, orderShipped } from '@emporium/contracts/orders';
import { onOrderCancelled } from './events/on-order-cancelled.ts';
import { onOrderConfirmed } from './events/on-order-confirmed.ts';
import { onOrderDelivered } from './events/on-order-delivered.ts';
import { onOrderShipped } from './events/on-order-shipped.ts';
import { onUserRegistered } from './events/on-user-registered.ts';
import { notificationRoutes } from './routes/notifications.routes.ts';

/** Notifications: the messages sent to users, rendered from templates when events arrive. */
export default defineService({
  name: 'notifications',
  description: 'Messages sent to users (a welcome on registration, news of their orders), and each user\'s own list of them.',
  defaultPort: 8108,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    ctx.messaging.subscribe(userRegistered, 'send-welcome', onUserRegistered);
    ctx.messaging.subscribe(orderConfirmed, 'send-order-confirmation', onOrderConfirmed);
    ctx.messaging.subscribe(orderCancelled, 'send-order-cancellation', onOrderCancelled);
    ctx.messaging.subscribe(orderShipped, 'send-shipping-notice', onOrderShipped);
    ctx.messaging.subscribe(orderDelivered, 'send-delivery-notice', onOrderDelivered);
    await app.register(notificationRoutes, { db: ctx.db, verifier: ctx.verifier });
  },
});
