import { fileURLToPath } from 'node:url';
import { defineService } from '@emporium/kit';
import { cancelShipment, scheduleShipment } from '@emporium/contracts/shipping';
import { shippingSettings } from './config.ts';
import { onShipmentCancel } from './events/on-shipment-cancel.ts';
import { onShipmentSchedule } from './events/on-shipment-schedule.ts';
import { quoteRoutes } from './routes/quotes.routes.ts';
import { shipmentRoutes } from './routes/shipments.routes.ts';

/** Shipping: quotes, the shipment of each order, and its way from scheduled to delivered. */
export default defineService({
  name: 'shipping',
  description: 'Shipping quotes, and the shipment of each order: scheduled by the checkout saga, dispatched and delivered by admins.',
  defaultPort: 8107,
  settings: shippingSettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, { settings, db, messaging, verifier }) {
    const unserved = settings.SHIPPING_UNSERVED_COUNTRIES;
    messaging.subscribe(scheduleShipment, 'schedule-shipment', onShipmentSchedule({ messaging, unserved }));
    messaging.subscribe(cancelShipment, 'cancel-shipment', onShipmentCancel({ messaging }));
    await app.register(quoteRoutes, { unserved });
    await app.register(shipmentRoutes, { db, verifier, messaging });
  },
});
