import type { EventHandler } from '@emporium/kit';
import type { orderDelivered } from '@emporium/contracts/orders';
import { insertNotification } from '../db/notifications.repository.ts';
import { templates } from '../domain/templates.ts';

/** order.delivered → send-delivery-notice: stores the notice that the order arrived. */
export const onOrderDelivered: EventHandler<typeof orderDelivered> = async (event, tx) => {
  const { orderId, userId, email } = event.data;
  await insertNotification(tx, { userId, orderId, channel: 'email', recipient: email, template: 'order-delivered', ...templates['order-delivered']({ orderId }) });
};
