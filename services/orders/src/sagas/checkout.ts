import type { Logger, Messaging, Transaction } from '@emporium/kit';
import type { CloudEvent } from '@emporium/contracts/events';
import { orderCancellationRefused, orderCancelled, orderConfirmed } from '@emporium/contracts/orders';
import { findOrder, updateOrder, type OrderChange } from '../db/orders.repository.ts';
import { canMove } from '../domain/order-status.ts';
import { followShipment } from '../events/on-shipment-progress.ts';
import { SagaOrchestrator, type SagaHooks, type SagaTimings } from './orchestrator.ts';
import { checkoutReplies, checkoutSteps, type CheckoutData } from './place-order/index.ts';

/** What each reply changes in the order's own record of its payment and shipment. */
const ORDER_CHANGES: Record<string, (data: Record<string, string>) => OrderChange> = {
  'payment.authorized': (d) => ({ paymentId: d.paymentId, paymentStatus: 'authorized' }),
  'payment.declined': (d) => ({ paymentId: d.paymentId, paymentStatus: 'declined' }),
  'payment.captured': (d) => ({ paymentId: d.paymentId, paymentStatus: 'captured' }),
  'payment.voided': () => ({ paymentStatus: 'voided' }),
  'payment.refunded': () => ({ paymentStatus: 'refunded' }),
  'shipment.scheduled': (d) => ({ shipmentId: d.shipmentId, shipmentStatus: 'scheduled', trackingNumber: d.trackingNumber, carrier: d.carrier }),
  'shipment.cancelled': () => ({ shipmentStatus: 'cancelled' }),
  'shipment.cancellation-refused': (d) => ({ shipmentStatus: d.status as 'dispatched' | 'delivered' }),
};

/** How far along a payment or shipment is: a repeated or late reply never moves one back. */
const RANK: Record<string, number> = { authorized: 1, captured: 2, declined: 3, voided: 3, refunded: 4, scheduled: 1, dispatched: 2, delivered: 3, cancelled: 4 };
const isAhead = (next: string | undefined, current: string | null | undefined) => next !== undefined && (!current || RANK[next]! > RANK[current]!);

/** Drops the card's token once the saga needs it no more. */
async function forgetCard(tx: Transaction, sagaId: string): Promise<void> {
  await tx.query(`UPDATE sagas SET data = data || '{"paymentToken": null}'::jsonb WHERE id = $1`, [sagaId]);
}

/**
 * The checkout saga wired to the orders it runs for: a completed saga confirms its order, a
 * compensated one cancels it with the reason, and each reply keeps the order's payment and
 * shipment current. Confirmation and cancellation publish their events in the saga's transaction.
 */
export function createCheckoutSaga(messaging: Messaging, timings: SagaTimings, log: Logger): SagaOrchestrator<CheckoutData> {
  const hooks: SagaHooks<CheckoutData> = {
    async completed(tx, saga) {
      const order = (await findOrder(tx, saga.orderId, { lock: true }))!;
      await forgetCard(tx, saga.id);
      if (!canMove(order.status, 'CONFIRMED')) return;
      await updateOrder(tx, order.id, { status: 'CONFIRMED' });
      await messaging.publish(
        tx,
        orderConfirmed,
        {
          orderId: order.id,
          userId: order.userId,
          email: order.email,
          items: order.items.map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitPrice })),
          total: order.total,
          fromCart: order.fromCart,
        },
        { subject: order.id },
      );
      await followShipment(messaging, tx, { ...order, status: 'CONFIRMED' });
    },
    async compensated(tx, saga, reason) {
      const order = (await findOrder(tx, saga.orderId, { lock: true }))!;
      await forgetCard(tx, saga.id);
      if (!canMove(order.status, 'CANCELLED')) {
        log.error({ orderId: order.id, status: order.status }, 'a compensated saga found its order past cancelling');
        return;
      }
      await updateOrder(tx, order.id, { status: 'CANCELLED', cancellationReason: reason });
      await messaging.publish(tx, orderCancelled, { orderId: order.id, userId: order.userId, email: order.email, reason, previousStatus: order.status }, { subject: order.id });
    },
    async replied(tx, saga, _reply, event: CloudEvent) {
      const change = ORDER_CHANGES[event.type]?.(event.data as Record<string, string>);
      if (!change) return;
      const order = (await findOrder(tx, saga.orderId, { lock: true }))!;
      if (isAhead(change.paymentStatus, order.payment?.status) || isAhead(change.shipmentStatus, order.shipment?.status)) {
        await updateOrder(tx, saga.orderId, change);
      }
    },
    async refused(tx, saga, reason) {
      // The order goes on (it follows its shipment as ever); the customer is told why it was not cancelled.
      const order = (await findOrder(tx, saga.orderId, { lock: true }))!;
      await messaging.publish(tx, orderCancellationRefused, { orderId: order.id, userId: order.userId, email: order.email, status: order.status, reason }, { subject: order.id });
    },
    async mayUndo(tx, saga) {
      // Once the shipment has left, a completed checkout is not undone (a refund alone stays a refund).
      const order = await findOrder(tx, saga.orderId);
      return order !== undefined && canMove(order.status, 'CANCELLED');
    },
  };
  return new SagaOrchestrator<CheckoutData>(checkoutSteps, checkoutReplies, hooks, messaging, timings, log);
}
