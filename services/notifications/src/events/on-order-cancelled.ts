import type { EventHandler } from '@emporium/kit';
import type { orderCancelled } from '@emporium/contracts/orders';
import { insertNotification } from '../db/notifications.repository.ts';
import { templates } from '../domain/templates.ts';

/** order.cancelled → send-order-cancellation: stores the notice, with the reason. */
export const onOrderCancelled: EventHandler<typeof orderCancelled> = async (event, tx) => {
  const { orderId, userId, email, reason } = event.data;
  await insertNotification(tx, { userId, orderId, channel: 'email', recipient: email, template: 'order-cancelled', ...templates['order-cancelled']({ orderId, reason }) });
};
