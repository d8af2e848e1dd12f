import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEvent, deliver, describeOnDatabases, startTestService, type TestService } from '@emporium/testing';
import type { EventData } from '@emporium/contracts/events';
import { authorizePayment, capturePayment, type PaymentMethod } from '@emporium/contracts/payments';
import service from '../src/service.ts';
import { TEST_CARDS, usd } from './helpers.ts';

describeOnDatabases('payments, started as it runs', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    // A worker interval far longer than the test: only the wake after each commit can move the payment on.
    svc = await startTestService(service, kind, { PAYMENT_WORKER_MS: '600000' });
  });
  afterAll(() => svc?.close());

  const send = <E extends typeof authorizePayment | typeof capturePayment>(definition: E, data: EventData<E>) => deliver(svc.transport, cloudEvent(definition, data, data.orderId));
  /** Exchanges the card for a token as orders does, then sends payment.authorize with it. */
  const authorize = async (orderId: string, cardNumber: string, amount = usd(100)) => {
    const userId = randomUUID();
    const res = await svc.app.inject({ method: 'POST', url: '/payment-methods', headers: await svc.tokens.auth({ id: userId }), payload: { cardNumber } });
    const { token, last4 } = res.json<PaymentMethod>();
    await send(authorizePayment, { orderId, userId, amount, paymentToken: token, cardLast4: last4 });
  };
  const eventually = async (orderId: string, status: string) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await svc.built.ctx.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId]);
      if (rows[0]?.status === status) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`order ${orderId} never reached ${status}`);
  };

  it('authorizes and captures on its own, woken by the commits that create the tasks', async () => {
    const orderId = randomUUID();
    await authorize(orderId, TEST_CARDS.approved, usd(1_500));
    await eventually(orderId, 'authorized');
    await send(capturePayment, { orderId, amount: usd(1_500) });
    await eventually(orderId, 'captured');
    const { rows } = await svc.built.ctx.db.query<{ type: string }>('SELECT type FROM outbox WHERE subject = $1 ORDER BY seq', [orderId]);
    expect(rows.map((r) => r.type)).toEqual(['payment.authorized', 'payment.captured']);
  });

  it('does not let a hanging provider call hold up other orders', async () => {
    const hanging = randomUUID();
    const quick = randomUUID();
    await authorize(hanging, TEST_CARDS.timeout);
    await authorize(quick, TEST_CARDS.approved);
    await eventually(quick, 'authorized');
    const { rows } = await svc.built.ctx.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [hanging]);
    expect(rows[0]!.status).toBe('pending');
  });
});
