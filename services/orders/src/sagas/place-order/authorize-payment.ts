import { authorizePayment as authorizeCommand, cancelPayment, paymentAuthorized, paymentDeclined, paymentRefunded, paymentVoided, type DeclineCode } from '@emporium/contracts/payments';
import { reply, type SagaStep } from '../orchestrator.ts';
import type { CheckoutData } from './data.ts';

/**
 * A token no provider issues, sent by a saga that has none (one begun before cards were
 * tokenized): the provider declines it, and the saga cancels the order.
 */
const NO_TOKEN = 'none';

/** Step 2: authorize the total on the card, named by its token. Undone by cancelling the payment (void, or refund once captured). */
export const authorizePayment: SagaStep<CheckoutData> = {
  id: 'authorize-payment',
  timeoutReason: 'the payment provider did not answer in time',
  invoke: ({ saga, send }) =>
    send(authorizeCommand, {
      orderId: saga.orderId,
      userId: saga.data.userId,
      amount: saga.data.amount,
      paymentToken: saga.data.paymentToken ?? NO_TOKEN,
      cardLast4: saga.data.cardLast4,
      // What the amount is made of, which payments checks it against.
      ...(saga.data.breakdown ? { breakdown: saga.data.breakdown } : {}),
    }),
  compensate: ({ saga, send }, reason) => send(cancelPayment, { orderId: saga.orderId, reason }),
};

const declineReasons: Record<Exclude<DeclineCode, 'amount_mismatch'>, string> = {
  card_declined: 'payment declined: the card was declined',
  insufficient_funds: 'payment declined: insufficient funds',
  provider_unavailable: 'payment failed: the payment provider is unavailable',
};

/** The cancellation reason of a decline: payments' own refusal of an amount that does not add up says what was wrong. */
const declineReason = (e: { code: DeclineCode; message: string }) => (e.code === 'amount_mismatch' ? `payment refused: ${e.message}` : declineReasons[e.code]);

export const authorizePaymentReplies = [
  reply<CheckoutData, typeof paymentAuthorized>({ event: paymentAuthorized, step: authorizePayment.id, kind: 'succeeded', data: (e) => ({ paymentId: e.paymentId }) }),
  reply<CheckoutData, typeof paymentDeclined>({ event: paymentDeclined, step: authorizePayment.id, kind: 'failed', reason: declineReason }),
  reply<CheckoutData, typeof paymentVoided>({ event: paymentVoided, step: authorizePayment.id, kind: 'compensated', reason: (e) => `payment voided: ${e.reason}` }),
  reply<CheckoutData, typeof paymentRefunded>({ event: paymentRefunded, step: authorizePayment.id, kind: 'compensated', reason: (e) => (e.byAdmin ? `refunded by an admin${e.reason ? `: ${e.reason}` : ''}` : e.reason) }),
];
