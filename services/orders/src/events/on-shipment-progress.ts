import type { EventHandler, Messaging, Transaction } from '@emporium/kit';
import { orderDelivered, orderShipped } from '@emporium/contracts/orders';
import type { shipmentDelivered, shipmentDispatched } from '@emporium/contracts/shipping';
import { findOrder, updateOrder, type OrderRecord } from '../db/orders.repository.ts';
import { canMove } from '../domain/order-status.ts';

/**
 * Moves a confirmed order along with its shipment: SHIPPED once dispatched, DELIVERED once
 * delivered, publishing each step. A shipment that moved while the order was still PENDING is
 * only recorded; confirmation calls this again and catches up.
 */
export async function followShipment(messaging: Messaging, tx: Transaction, order: OrderRecord): Promise<void> {
  const shipment = order.shipment;
  if (!shipment || order.status === 'PENDING' || order.status === 'CANCELLED') return;
  const customer = { orderId: order.id, userId: order.userId, email: order.email };
  let status = order.status;
  if ((shipment.status === 'dispatched' || shipment.status === 'delivered') && canMove(status, 'SHIPPED')) {
    status = 'SHIPPED';
    await updateOrder(tx, order.id, { status });
    await messaging.publish(tx, orderShipped, { ...customer, trackingNumber: shipment.trackingNumber, carrier: shipment.carrier }, { subject: order.id });
  }
  if (shipment.status === 'delivered' && canMove(status, 'DELIVERED')) {
    await updateOrder(tx, order.id, { status: 'DELIVERED' });
    await messaging.publish(tx, orderDelivered, customer, { subject: order.id });
  }
}

/** shipment.dispatched and shipment.delivered → the order follows its shipment (a repeat changes nothing). */
export function onShipmentProgress(messaging: Messaging): EventHandler<typeof shipmentDispatched | typeof shipmentDelivered> {
  return async (event, tx) => {
    const { orderId, shipmentId, trackingNumber, carrier } = event.data;
    const order = await findOrder(tx, orderId, { lock: true });
    if (!order) return;
    const current = order.shipment?.status;
    const status = event.type === 'shipment.delivered' || current === 'delivered' ? 'delivered' : 'dispatched';
    await updateOrder(tx, orderId, { shipmentId, shipmentStatus: status, trackingNumber, carrier });
    await followShipment(messaging, tx, { ...order, shipment: { id: shipmentId, status, trackingNumber, carrier } });
  };
}
