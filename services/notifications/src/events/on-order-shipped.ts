import type { EventHandler } from '@emporium/kit';
import type { orderShipped } from '@emporium/contracts/orders';
import { insertNotification } from '../db/notifications.repository.ts';
import { templates } from '../domain/templates.ts';

/** order.shipped → send-shipping-notice: stores the notice, with the carrier and the tracking number. */
export const onOrderShipped: EventHandler<typeof orderShipped> = async (event, tx) => {
  const { orderId, userId, email, carrier, trackingNumber } = event.data;
  await insertNotification(tx, { userId, orderId, channel: 'email', recipient: email, template: 'order-shipped', ...templates['order-shipped']({ orderId, carrier, trackingNumber }) });
};
