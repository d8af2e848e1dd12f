import { randomBytes } from 'node:crypto';
import type { EventHandler, Messaging, Transaction } from '@emporium/kit';
import { scheduleShipment, shipmentScheduled, shipmentSchedulingFailed } from '@emporium/contracts/shipping';
import { insertShipment, lockShipmentByOrder, type ShipmentRecord } from '../db/shipments.repository.ts';
import { estimatedDelivery, isServed, quote } from '../domain/quotes.ts';
import { decideSchedule, trackingNumber } from '../domain/shipment.ts';
import { shipmentFacts } from './facts.ts';

/** What the schedule handler needs. */
export interface ScheduleDeps {
  messaging: Messaging;
  unserved: readonly string[];
  now?: () => Date;
}

/**
 * shipment.schedule → schedule-shipment: creates the order's shipment (at the service the
 * command names, the one the customer paid for; standard when it names none) and
 * publishes shipment.scheduled, in the inbox's transaction. Idempotent by order id as well as
 * by event id, since the saga may send the command again under a new id: a repeat re-publishes
 * shipment.scheduled, and after a cancel (even one that arrived first) nothing happens.
 */
export function onShipmentSchedule({ messaging, unserved, now = () => new Date() }: ScheduleDeps): EventHandler<typeof scheduleShipment> {
  const announce = (tx: Transaction, s: ShipmentRecord) =>
    messaging.publish(tx, shipmentScheduled, { ...shipmentFacts(s), estimatedDelivery: s.shipment!.estimatedDelivery }, { subject: s.orderId });

  return async (event, tx) => {
    const { orderId, userId, address, items, service = 'standard' } = event.data;
    // Twice at most: a first insert can lose to a concurrent command for the same order, whose row the second pass then sees.
    for (let pass = 0; pass < 2; pass++) {
      const existing = await lockShipmentByOrder(tx, orderId);
      switch (decideSchedule(existing?.status)) {
        case 'ignore':
          return;
        case 'republish':
          await announce(tx, existing!);
          return;
        case 'create': {
          if (!isServed(address.country, unserved)) {
            // Nothing is stored: a repeat of the command finds no row and fails the same way.
            await messaging.publish(tx, shipmentSchedulingFailed, { orderId, reason: `No carrier serves ${address.country}.` }, { subject: orderId });
            return;
          }
          const booked = quote(service, address.country, items);
          const created = await insertShipment(tx, {
            orderId,
            userId,
            service: booked.service,
            carrier: booked.carrier,
            trackingNumber: trackingNumber(randomBytes(8)),
            address,
            items,
            estimatedDelivery: estimatedDelivery(now(), booked.estimatedDays),
          });
          if (created) {
            await announce(tx, created);
            return;
          }
        }
      }
    }
    throw new Error(`The shipment of order ${orderId} could be neither created nor found.`);
  };
}
