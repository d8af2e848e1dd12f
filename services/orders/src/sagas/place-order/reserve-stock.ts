import { inventoryReleased, inventoryReservationFailed, inventoryReserved, releaseStock, reserveStock as reserveCommand } from '@emporium/contracts/inventory';
import { reply, type SagaStep } from '../orchestrator.ts';
import type { CheckoutData } from './data.ts';

/** Step 1: hold the items. Undone by releasing them (held or, once committed, sold). */
export const reserveStock: SagaStep<CheckoutData> = {
  id: 'reserve-stock',
  timeoutReason: 'the inventory did not answer in time',
  invoke: ({ saga, send }) => send(reserveCommand, { orderId: saga.orderId, items: saga.data.items }),
  compensate: ({ saga, send }, reason) => send(releaseStock, { orderId: saga.orderId, reason }),
};

const failureReasons = {
  'out-of-stock': 'out of stock',
  'unknown-product': 'a product is no longer sold',
  expired: 'the stock reservation expired',
} as const;

export const reserveStockReplies = [
  reply<CheckoutData, typeof inventoryReserved>({ event: inventoryReserved, step: reserveStock.id, kind: 'succeeded', data: (e) => ({ reservationId: e.reservationId }) }),
  reply<CheckoutData, typeof inventoryReservationFailed>({ event: inventoryReservationFailed, step: reserveStock.id, kind: 'failed', reason: (e) => failureReasons[e.reason] }),
  reply<CheckoutData, typeof inventoryReleased>({ event: inventoryReleased, step: reserveStock.id, kind: 'compensated', reason: (e) => (e.expired ? failureReasons.expired : e.reason) }),
];
