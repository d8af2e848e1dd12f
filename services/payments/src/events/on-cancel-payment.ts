import type { EventHandler } from '@emporium/kit';
import type { cancelPayment } from '@emporium/contracts/payments';
import { insertPayment, updatePayment } from '../db/payments.repository.ts';
import { finishTask, insertTask } from '../db/tasks.repository.ts';
import { onCancel } from '../domain/payment-rules.ts';
import { lockOrderPayment, type HandlerDeps } from './deps.ts';

/**
 * payment.cancel → cancel-payment: leaves no charge and always answers the saga. No payment yet:
 * a voided tombstone, so a late authorize does nothing. Pending: voided at once, and the worker
 * voids at the provider whatever the authorization in flight turns into. Authorized: a void
 * task; captured: a refund task; a capture in flight: the worker refunds or voids once it is
 * answered. Already voided, refunded or declined: the matching answer again.
 */
export function onCancelPayment({ facts, wake }: HandlerDeps): EventHandler<typeof cancelPayment> {
  return async (event, tx) => {
    const { orderId, reason } = event.data;
    let locked = await lockOrderPayment(tx, orderId);
    if (!locked) {
      const tombstone = await insertPayment(tx, { orderId, userId: null, amount: { amount: 0, currency: 'USD' }, status: 'voided', cardLast4: '', cancelReason: reason });
      if (tombstone) {
        await facts.voided(tx, tombstone, reason);
        return;
      }
      // An authorize for this order committed first: cancel that payment.
      locked = await lockOrderPayment(tx, orderId);
    }
    const { payment, openTask, snapshot } = locked!;
    switch (onCancel(snapshot)) {
      case 'tombstone':
        return;
      case 'void-pending': {
        const voided = await updatePayment(tx, payment.id, { status: 'voided', cancelReason: reason });
        // Never claimed: no call reached the provider, so there is nothing to undo there.
        if (openTask && openTask.attempts === 0) await finishTask(tx, openTask.id, 'abandoned before any call');
        await facts.voided(tx, voided, reason);
        return;
      }
      case 'void':
        await updatePayment(tx, payment.id, { cancelReason: reason });
        await insertTask(tx, { paymentId: payment.id, kind: 'void', reason });
        tx.afterCommit(wake);
        return;
      case 'refund':
        await updatePayment(tx, payment.id, { cancelReason: reason });
        await insertTask(tx, { paymentId: payment.id, kind: 'refund', amount: payment.amount.amount - payment.refundedAmount, reason, byAdmin: false });
        tx.afterCommit(wake);
        return;
      case 'after-capture':
        if (payment.cancelReason === null) await updatePayment(tx, payment.id, { cancelReason: reason });
        return;
      case 'nothing':
        return;
      case 'reply-voided':
        await facts.voided(tx, payment, payment.cancelReason ?? reason);
        return;
      case 'reply-refunded':
        await facts.refunded(tx, payment);
        return;
    }
  };
}
