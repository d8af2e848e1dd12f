import { commitStock as commitCommand, inventoryCommitted, inventoryReservationFailed } from '@emporium/contracts/inventory';
import { reply, type SagaStep } from '../orchestrator.ts';
import type { CheckoutData } from './data.ts';

/**
 * Step 4: turn the reservation into a sale, before any money is taken, so a reservation that
 * expired meanwhile cancels the order instead of selling stock that is gone. Nothing of its own
 * to undo: releasing the reservation (step 1) returns sold items too.
 */
export const commitStock: SagaStep<CheckoutData> = {
  id: 'commit-stock',
  timeoutReason: 'the inventory did not answer in time',
  invoke: ({ saga, send }) => send(commitCommand, { orderId: saga.orderId }),
};

export const commitStockReplies = [
  reply<CheckoutData, typeof inventoryCommitted>({ event: inventoryCommitted, step: commitStock.id, kind: 'succeeded' }),
  reply<CheckoutData, typeof inventoryReservationFailed>({ event: inventoryReservationFailed, step: commitStock.id, kind: 'failed', reason: () => 'the stock reservation expired' }),
];
