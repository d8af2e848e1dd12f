import type { Messaging, Transaction } from '@emporium/kit';
import type { Money } from '@emporium/contracts/common';
import { paymentAuthorized, paymentCaptured, paymentDeclined, paymentRefunded, paymentVoided, type DeclineCode } from '@emporium/contracts/payments';
import type { PaymentRecord } from '../db/payments.repository.ts';

/** The payment id a decline names when the order has no payment at all. */
export const NO_PAYMENT_ID = '00000000-0000-0000-0000-000000000000';

const reasonText = (reason: string | null | undefined) => (reason ?? '').slice(0, 500);

/**
 * Publishes what happened to a payment, in the caller's transaction, keyed by the order id. The
 * same functions answer repeated commands, so a saga that asks again gets the same answer.
 */
export function facts(messaging: Messaging) {
  const subject = (p: { orderId: string }) => ({ subject: p.orderId });
  const base = (p: PaymentRecord) => ({ orderId: p.orderId, paymentId: p.id, amount: p.amount });
  return {
    authorized: (tx: Transaction, p: PaymentRecord) =>
      messaging.publish(tx, paymentAuthorized, { ...base(p), providerReference: p.providerReference ?? '' }, subject(p)),
    /** A decline; `p` is absent when the order has no payment, and then `amount` is the one asked for. */
    declined: (tx: Transaction, orderId: string, p: PaymentRecord | undefined, amount: Money, code: DeclineCode, message: string) =>
      messaging.publish(tx, paymentDeclined, { orderId, paymentId: p?.id ?? NO_PAYMENT_ID, amount, code, message: reasonText(message) }, { subject: orderId }),
    captured: (tx: Transaction, p: PaymentRecord) => messaging.publish(tx, paymentCaptured, base(p), subject(p)),
    voided: (tx: Transaction, p: PaymentRecord, reason: string | null | undefined) => messaging.publish(tx, paymentVoided, { ...base(p), reason: reasonText(reason) }, subject(p)),
    refunded: (tx: Transaction, p: PaymentRecord) =>
      messaging.publish(
        tx,
        paymentRefunded,
        { ...base(p), amount: { amount: p.refundedAmount, currency: p.amount.currency }, reason: reasonText(p.refundReason), byAdmin: p.refundedByAdmin ?? false },
        subject(p),
      ),
  };
}

/** The publishing functions of `facts`. */
export type Facts = ReturnType<typeof facts>;
