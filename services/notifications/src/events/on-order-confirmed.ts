import type { EventHandler } from '@emporium/kit';
import type { orderConfirmed } from '@emporium/contracts/orders';
import { insertNotification } from '../db/notifications.repository.ts';
import { templates } from '../domain/templates.ts';

/** order.confirmed → send-order-confirmation: stores the confirmation, listing the items and the total. */
export const onOrderConfirmed: EventHandler<typeof orderConfirmed> = async (event, tx) => {
  const { orderId, userId, email, items, total } = event.data;
  await insertNotification(tx, { userId, orderId, channel: 'email', recipient: email, template: 'order-confirmed', ...templates['order-confirmed']({ orderId, items, total }) });
};
