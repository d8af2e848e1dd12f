import { cancelShipment, scheduleShipment as scheduleCommand, shipmentCancellationRefused, shipmentCancelled, shipmentScheduled, shipmentSchedulingFailed } from '@emporium/contracts/shipping';
import { reply, type SagaStep } from '../orchestrator.ts';
import type { CheckoutData } from './data.ts';

/** Step 3: schedule the shipment, at the service paid for. Undone by cancelling it (refused once dispatched). */
export const scheduleShipment: SagaStep<CheckoutData> = {
  id: 'schedule-shipment',
  timeoutReason: 'shipping did not answer in time',
  invoke: ({ saga, send }) =>
    send(scheduleCommand, {
      orderId: saga.orderId,
      userId: saga.data.userId,
      address: saga.data.address,
      items: saga.data.items,
      // A saga begun before shipping was charged names no service: shipping books standard.
      ...(saga.data.shipping ? { service: saga.data.shipping.service } : {}),
    }),
  compensate: ({ saga, send }, reason) => send(cancelShipment, { orderId: saga.orderId, reason }),
};

export const scheduleShipmentReplies = [
  reply<CheckoutData, typeof shipmentScheduled>({ event: shipmentScheduled, step: scheduleShipment.id, kind: 'succeeded', data: (e) => ({ shipmentId: e.shipmentId }) }),
  reply<CheckoutData, typeof shipmentSchedulingFailed>({ event: shipmentSchedulingFailed, step: scheduleShipment.id, kind: 'failed', reason: (e) => `shipping failed: ${e.reason}` }),
  reply<CheckoutData, typeof shipmentCancelled>({ event: shipmentCancelled, step: scheduleShipment.id, kind: 'compensated', reason: (e) => `shipment cancelled: ${e.reason}` }),
  reply<CheckoutData, typeof shipmentCancellationRefused>({ event: shipmentCancellationRefused, step: scheduleShipment.id, kind: 'refused', reason: (e) => e.reason }),
];
