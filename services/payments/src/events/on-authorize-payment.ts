import type { EventHandler } from '@emporium/kit';
import type { authorizePayment } from '@emporium/contracts/payments';
import { insertPayment } from '../db/payments.repository.ts';
import { insertTask } from '../db/tasks.repository.ts';
import { amountMismatch, invalidAmount, onAuthorize } from '../domain/payment-rules.ts';
import { lockOrderPayment, type HandlerDeps } from './deps.ts';

/**
 * payment.authorize → authorize-payment: creates the order's payment (pending) and an authorize
 * task for the worker; the provider is never called here, inside the inbox transaction. An order
 * that already has a payment gets its answer again, so a repeated command (even with a new event
 * id) never authorizes twice, and one that arrives after a cancel does nothing. An amount that is
 * not what the command's breakdown adds up to (the items plus the shipping) is declined at once,
 * as `amount_mismatch`, without calling the provider.
 */
export function onAuthorizePayment({ facts, wake }: HandlerDeps): EventHandler<typeof authorizePayment> {
  return async (event, tx) => {
    const { orderId, userId, amount, paymentToken, cardLast4, breakdown } = event.data;
    let existing = await lockOrderPayment(tx, orderId);
    if (!existing) {
      const invalid = invalidAmount(amount);
      const mismatch = breakdown && amountMismatch(amount, breakdown);
      const refused = invalid ? { code: 'card_declined' as const, message: invalid } : mismatch ? { code: 'amount_mismatch' as const, message: mismatch } : undefined;
      const created = await insertPayment(tx, {
        orderId,
        userId,
        amount,
        status: refused ? 'declined' : 'pending',
        cardLast4,
        ...(refused ? { declineCode: refused.code, declineMessage: refused.message } : {}),
      });
      if (created) {
        if (refused) {
          await facts.declined(tx, orderId, created, amount, refused.code, refused.message);
          return;
        }
        await insertTask(tx, { paymentId: created.id, kind: 'authorize', paymentToken });
        tx.afterCommit(wake);
        return;
      }
      // Another command for this order committed its payment first: answer from that one.
      existing = await lockOrderPayment(tx, orderId);
    }
    const { payment, snapshot } = existing!;
    switch (onAuthorize(snapshot)) {
      case 'reply-authorized':
        await facts.authorized(tx, payment);
        return;
      case 'reply-declined':
        await facts.declined(tx, orderId, payment, payment.amount, payment.declineCode ?? 'card_declined', payment.declineMessage ?? 'The payment was declined.');
        return;
      case 'nothing':
        return;
    }
  };
}
