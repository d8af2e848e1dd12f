import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { userRegistered } from '@emporium/contracts/identity';
import { onUserRegistered } from './events/on-user-registered.ts';
import { notificationRoutes } from './routes/notifications.routes.ts';

/** Notifications: the messages sent to users, rendered from templates when events arrive. */
export default defineService({
  name: 'notifications',
  description: 'Messages sent to users (a welcome on registration), and each user\'s own list of them.',
  defaultPort: 8108,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    ctx.messaging.subscribe(userRegistered, 'send-welcome', onUserRegistered);
    await app.register(notificationRoutes, { db: ctx.db, verifier: ctx.verifier });
  },
});
