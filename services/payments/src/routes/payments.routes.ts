import { bearer, requireRole, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { pagination } from '@emporium/contracts/common';
import { Payment, PaymentPage, PaymentParams, PaymentQuery, RefundBody } from '@emporium/contracts/payments';
import { listPayments, lockPayment, toPayment } from '../db/payments.repository.ts';
import { insertTask, lockOpenTask } from '../db/tasks.repository.ts';
import { refundRefusal } from '../domain/payment-rules.ts';
import { snapshotOf } from '../events/deps.ts';
import { paymentsErrors } from '../errors.ts';
import { problems } from './schemas.ts';

/** What the payments routes need. */
export interface PaymentRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  /** Wakes the provider worker after a refund task is committed. */
  wake(): void;
}

const tags = ['payments'];

/** `/payments`: an order's payments for its owner (anyone's for admins), and refunds by admins. */
export async function paymentRoutes(app: ServiceApp, { db, verifier, wake }: PaymentRouteOptions): Promise<void> {
  // Callers are checked on request, before the body or query is read: a stranger learns nothing from validation.
  app.get('/payments', {
    onRequest: requireUser(verifier),
    schema: {
      tags,
      summary: "The payments of an order, or all the caller's; an admin sees anyone's",
      security: bearer,
      querystring: PaymentQuery,
      response: { 200: PaymentPage, ...problems(400, 401) },
    },
  }, async (request) => {
    const { orderId, page = 1, limit = 20 } = request.query;
    const caller = request.caller!;
    // A customer sees only their own: the user comes from the verified token, never the request (I7).
    const userId = caller.roles.includes('admin') ? undefined : caller.id;
    const { items, total } = await listPayments(db, { userId, orderId }, { limit, offset: (page - 1) * limit });
    return { data: items, pagination: pagination(page, limit, total) };
  });

  app.post('/payments/:id/refund', {
    onRequest: requireRole(verifier, 'admin'),
    // The body is optional: a refund needs no reason.
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: {
      tags,
      summary: 'Refund a captured payment in full (admin); the provider is called in the background',
      security: bearer,
      params: PaymentParams,
      body: RefundBody,
      response: { 202: Payment, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const reason = request.body.reason ?? '';
    const payment = await db.transaction(async (tx) => {
      const p = await lockPayment(tx, id);
      if (!p || p.userId === null) throw paymentsErrors.PAYMENTS_NOT_FOUND(`There is no payment with id ${id}.`);
      const openTask = await lockOpenTask(tx, p.id);
      const refusal = refundRefusal(snapshotOf(p, openTask));
      if (refusal) throw paymentsErrors.PAYMENTS_NOT_REFUNDABLE(refusal);
      // A refund already under way is the same refund: asking again changes nothing.
      if (openTask?.kind !== 'refund') {
        await insertTask(tx, { paymentId: p.id, kind: 'refund', amount: p.amount.amount - p.refundedAmount, reason, byAdmin: true });
        tx.afterCommit(wake);
      }
      return p;
    });
    return reply.code(202).send(toPayment(payment));
  });
}
