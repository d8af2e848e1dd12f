import type { EventHandler } from '@emporium/kit';
import type { capturePayment } from '@emporium/contracts/payments';
import { insertTask } from '../db/tasks.repository.ts';
import { onCapture } from '../domain/payment-rules.ts';
import { lockOrderPayment, type HandlerDeps } from './deps.ts';

/**
 * payment.capture → capture-payment: an authorized payment gets a capture task, for exactly the
 * authorized amount; the worker captures it and publishes payment.captured. A payment already
 * captured is answered again; anything else (no authorization, another amount, a cancel under
 * way) is answered with payment.declined and captures nothing.
 */
export function onCapturePayment({ facts, wake }: HandlerDeps): EventHandler<typeof capturePayment> {
  return async (event, tx) => {
    const { orderId, amount } = event.data;
    const locked = await lockOrderPayment(tx, orderId);
    const decision = onCapture(locked?.snapshot, amount);
    switch (decision.do) {
      case 'capture':
        await insertTask(tx, { paymentId: locked!.payment.id, kind: 'capture', amount: locked!.payment.amount.amount });
        tx.afterCommit(wake);
        return;
      case 'reply-captured':
        await facts.captured(tx, locked!.payment);
        return;
      case 'decline':
        await facts.declined(tx, orderId, locked?.payment, locked?.payment.amount ?? amount, locked?.payment.declineCode ?? 'card_declined', decision.message);
        return;
      case 'nothing':
        return;
    }
  };
}
