import { randomUUID } from 'node:crypto';
import type { BuiltService } from '@emporium/kit';
import { cloudEvent, deliver as deliverTo, startTestService, type DatabaseKind } from '@emporium/testing';
import type { CloudEvent, EventDefinition } from '@emporium/contracts/events';
import type { Money } from '@emporium/contracts/common';
import { authorizePayment, cancelPayment, capturePayment, type PaymentMethod, type PaymentPage } from '@emporium/contracts/payments';
import service, { paymentWorkerOf } from '../src/service.ts';
import type { PaymentWorker } from '../src/worker/payment-worker.ts';

export { TEST_CARDS } from '../src/provider/test-cards.ts';

type Built = BuiltService;

/** USD in cents. */
export const usd = (amount: number): Money => ({ amount, currency: 'USD' });

/** An event as payments published it. */
export interface Published {
  type: string;
  data: Record<string, unknown>;
}

/** A payment row, with the columns the API does not show. */
export interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string | null;
  amount: number;
  currency: string;
  status: string;
  card_last4: string;
  decline_code: string | null;
  provider_reference: string | null;
  refunded_amount: number;
}

/** A payments service on a fresh database, fed commands as the broker would, its worker driven by the test. */
export interface Payments {
  built: Built;
  app: Built['app'];
  worker: PaymentWorker;
  /** A bearer Authorization header for `userId` (a customer unless `roles` say otherwise). */
  auth(userId: string, roles?: string[]): Promise<{ authorization: string }>;
  /** Delivers `event` as the orders relay would; resolves once it is handled or dead-lettered. */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** POST /payment-methods as `userId`: the card's token, as orders gets it while placing an order. */
  tokenize(cardNumber: string, userId?: string): Promise<PaymentMethod>;
  /** Tokenizes the card as orders does, then sends payment.authorize with the token and last four digits. */
  authorize(data: { orderId: string; userId: string; amount: Money; cardNumber: string; breakdown?: { items: Array<{ productId: string; quantity: number; unitPrice: Money }>; shipping: Money } }): Promise<CloudEvent<unknown>>;
  capture(data: { orderId: string; amount: Money }): Promise<CloudEvent<unknown>>;
  cancel(data: { orderId: string; reason: string }): Promise<CloudEvent<unknown>>;
  /** Runs the worker until nothing is due, waiting for every provider call. */
  drain(): Promise<void>;
  /** Makes every open task due now, as if its backoff had passed, then drains. */
  retryNow(): Promise<void>;
  /** The events published about an order, oldest first. */
  events(orderId: string): Promise<Published[]>;
  /** The order's payment row, if any. */
  payment(orderId: string): Promise<PaymentRow | undefined>;
  /** The order's provider tasks, oldest first. */
  tasks(orderId: string): Promise<Array<{ kind: string; attempts: number; done: boolean; payment_token: string | null; outcome: string | null }>>;
  /** The provider ledger rows of an order's payment. */
  ledger(orderId: string): Promise<Array<{ operation: string; succeeded: boolean; amount: number }>>;
  /**
   * Orders whose net charge at the provider (captures minus refunds) differs from what the
   * payments table says: captured means the amount, refunded means amount minus refunded, else 0.
   */
  chargeMismatches(): Promise<Array<{ order_id: string | null; reference: string; provider_net: number; expected: number }>>;
  /** GET /payments as `userId`; fails the test unless it answers 200. */
  list(userId: string, query?: Record<string, string | number>, roles?: string[]): Promise<PaymentPage>;
  close(): Promise<void>;
}

/**
 * Builds the payments service on `kind`'s database with an in-process transport. Only its
 * subscriptions and relay are started: the worker runs when the test drains it, so nothing
 * happens behind the test's back. `settings` override the quick test defaults.
 */
export async function startPayments(kind: DatabaseKind, settings: Record<string, string> = {}): Promise<Payments> {
  const { built, app, tokens, transport, close } = await startTestService(service, kind, { PAYMENT_PROVIDER_LATENCY_MS: '0', PAYMENT_PROVIDER_TIMEOUT_MS: '150', ...settings }, { start: false });
  await built.ctx.messaging.start();
  const worker = paymentWorkerOf(app);
  const q = built.ctx.db;

  const deliver = (event: CloudEvent<unknown>) => deliverTo(transport, event);
  const tokenize = async (cardNumber: string, userId: string = randomUUID()) => {
    // An unreliable provider answers 503 now and then: asked again, as orders' client does.
    for (let attempt = 1; ; attempt++) {
      const res = await app.inject({ method: 'POST', url: '/payment-methods', headers: await tokens.auth({ id: userId }), payload: { cardNumber } });
      if (res.statusCode === 201) return res.json<PaymentMethod>();
      if (res.statusCode !== 503 || attempt === 20) throw new Error(`tokenizing ${cardNumber}: expected 201, got ${res.statusCode} ${res.body}`);
    }
  };
  const send = async (definition: EventDefinition, data: Record<string, unknown>) => {
    const event = cloudEvent(definition, data, String(data.orderId ?? randomUUID()));
    await deliver(event);
    return event;
  };

  return {
    built,
    app,
    worker,
    auth: (userId, roles) => tokens.auth({ id: userId, ...(roles ? { roles } : {}) }),
    deliver,
    tokenize,
    async authorize({ cardNumber, ...data }) {
      const card = await tokenize(cardNumber, data.userId);
      return send(authorizePayment, { ...data, paymentToken: card.token, cardLast4: card.last4 });
    },
    capture: (data) => send(capturePayment, data),
    cancel: (data) => send(cancelPayment, data),
    drain: () => worker.drain(),
    async retryNow() {
      await q.query('UPDATE payment_tasks SET next_attempt_at = now() WHERE done_at IS NULL');
      await worker.drain();
    },
    async events(orderId) {
      const { rows } = await q.query<Published>("SELECT type, envelope->'data' AS data FROM outbox WHERE subject = $1 ORDER BY seq", [orderId]);
      return rows;
    },
    async payment(orderId) {
      const { rows } = await q.query<PaymentRow>(
        'SELECT id, order_id, user_id, amount, currency, status, card_last4, decline_code, provider_reference, refunded_amount FROM payments WHERE order_id = $1',
        [orderId],
      );
      return rows[0];
    },
    async tasks(orderId) {
      const { rows } = await q.query<{ kind: string; attempts: number; done: boolean; payment_token: string | null; outcome: string | null }>(
        `SELECT t.kind, t.attempts, t.done_at IS NOT NULL AS done, t.payment_token, t.outcome
         FROM payment_tasks t JOIN payments p ON p.id = t.payment_id WHERE p.order_id = $1 ORDER BY t.created_at, t.kind`,
        [orderId],
      );
      return rows;
    },
    async ledger(orderId) {
      const { rows } = await q.query<{ operation: string; succeeded: boolean; amount: number }>(
        `SELECT l.operation, l.succeeded, l.amount FROM provider_ledger l JOIN payments p ON l.idempotency_key LIKE p.id || ':%'
         WHERE p.order_id = $1 ORDER BY l.created_at, l.operation`,
        [orderId],
      );
      return rows;
    },
    async chargeMismatches() {
      const { rows } = await q.query<{ order_id: string | null; reference: string; provider_net: number; expected: number }>(
        `WITH net AS (
           SELECT reference,
                  coalesce(sum(amount) FILTER (WHERE operation = 'capture' AND succeeded), 0)
                - coalesce(sum(amount) FILTER (WHERE operation = 'refund' AND succeeded), 0) AS provider_net
           FROM provider_ledger GROUP BY reference)
         SELECT p.order_id, coalesce(n.reference, p.provider_reference, '') AS reference, coalesce(n.provider_net, 0)::bigint AS provider_net,
                (CASE p.status WHEN 'captured' THEN p.amount WHEN 'refunded' THEN p.amount - p.refunded_amount ELSE 0 END)::bigint AS expected
         FROM net n FULL JOIN payments p ON p.provider_reference = n.reference
         WHERE coalesce(n.provider_net, 0) <> (CASE p.status WHEN 'captured' THEN p.amount WHEN 'refunded' THEN p.amount - p.refunded_amount ELSE 0 END)`,
      );
      return rows;
    },
    async list(userId, query = {}, roles) {
      const res = await app.inject({
        method: 'GET',
        url: '/payments',
        headers: await tokens.auth({ id: userId, ...(roles ? { roles } : {}) }),
        query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
      });
      if (res.statusCode !== 200) throw new Error(`listing as ${userId}: expected 200, got ${res.statusCode} ${res.body}`);
      return res.json();
    },
    close,
  };
}
