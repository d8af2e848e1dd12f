import type { EventHandler, Messaging, Transaction } from '@emporium/kit';
import { cancelShipment, shipmentCancellationRefused, shipmentCancelled } from '@emporium/contracts/shipping';
import { cancelScheduled, insertTombstone, lockShipmentByOrder, type ShipmentRecord } from '../db/shipments.repository.ts';
import { decideCancel } from '../domain/shipment.ts';
import { shipmentFacts } from './facts.ts';

/**
 * shipment.cancel → cancel-shipment: cancels the order's shipment and publishes
 * shipment.cancelled, in the inbox's transaction. With no shipment yet it stores a cancelled
 * tombstone, so a schedule arriving later does nothing; a repeat re-publishes the
 * cancellation. A dispatched or delivered shipment cannot be recalled: the handler answers
 * shipment.cancellation-refused (again for each repeat) and changes nothing, so the saga knows
 * at once that its compensation cannot be done, instead of waiting for an answer that never comes.
 */
export function onShipmentCancel({ messaging }: { messaging: Messaging }): EventHandler<typeof cancelShipment> {
  const announce = (tx: Transaction, s: ShipmentRecord, reason: string) =>
    messaging.publish(tx, shipmentCancelled, { ...shipmentFacts(s), reason: s.cancellationReason ?? reason }, { subject: s.orderId });

  return async (event, tx) => {
    const { orderId, reason } = event.data;
    // Twice at most: a tombstone insert can lose to a concurrent schedule, whose row the second pass then sees.
    for (let pass = 0; pass < 2; pass++) {
      const existing = await lockShipmentByOrder(tx, orderId);
      switch (decideCancel(existing?.status)) {
        case 'refuse': {
          const status = existing!.status as 'dispatched' | 'delivered';
          await messaging.publish(
            tx,
            shipmentCancellationRefused,
            { ...shipmentFacts(existing!), status, reason: `the shipment was ${status} before it could be cancelled` },
            { subject: orderId },
          );
          return;
        }
        case 'republish':
          await announce(tx, existing!, reason);
          return;
        case 'cancel': {
          // The row is locked and scheduled, so the conditional update cannot miss.
          const cancelled = await cancelScheduled(tx, existing!.id, reason);
          await announce(tx, cancelled!, reason);
          return;
        }
        case 'tombstone': {
          const tombstone = await insertTombstone(tx, orderId, reason);
          if (tombstone) {
            await announce(tx, tombstone, reason);
            return;
          }
        }
      }
    }
    throw new Error(`The shipment of order ${orderId} could be neither cancelled nor found.`);
  };
}
