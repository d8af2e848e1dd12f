import { capturePayment as captureCommand, paymentCaptured, paymentDeclined } from '@emporium/contracts/payments';
import { reply, type SagaStep } from '../orchestrator.ts';
import type { CheckoutData } from './data.ts';

/** Step 5: capture the authorized amount. Undone with the authorization (step 2), which refunds a capture. */
export const capturePayment: SagaStep<CheckoutData> = {
  id: 'capture-payment',
  timeoutReason: 'the payment provider did not answer in time',
  invoke: ({ saga, send }) => send(captureCommand, { orderId: saga.orderId, amount: saga.data.amount }),
};

export const capturePaymentReplies = [
  reply<CheckoutData, typeof paymentCaptured>({ event: paymentCaptured, step: capturePayment.id, kind: 'succeeded' }),
  reply<CheckoutData, typeof paymentDeclined>({ event: paymentDeclined, step: capturePayment.id, kind: 'failed', reason: (e) => `payment capture failed: ${e.message}` }),
];
