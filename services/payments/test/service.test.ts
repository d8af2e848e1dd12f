import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildService, InProcessTransport } from '@emporium/kit';
import { describeOnDatabases, testTokens } from '@emporium/testing';
import { dataschemaOf } from '@emporium/contracts/events';
import { authorizePayment, capturePayment } from '@emporium/contracts/payments';
import service from '../src/service.ts';
import { TEST_CARDS, usd } from './helpers.ts';

type Built = Awaited<ReturnType<typeof buildService>>;

describeOnDatabases('payments, started as it runs', (kind) => {
  let built: Built;
  let transport: InProcessTransport;
  let closeDb: () => Promise<void>;
  beforeAll(async () => {
    const opened = await kind.open('payments');
    closeDb = opened.close;
    transport = new InProcessTransport();
    // A worker interval far longer than the test: only the wake after each commit can move the payment on.
    built = await buildService(service, { source: { LOG_LEVEL: 'silent', PAYMENT_WORKER_MS: '600000' }, db: opened.db, verifier: (await testTokens()).verifier, transport });
    await built.start();
  });
  afterAll(async () => {
    await built?.close();
    await transport?.close();
    await closeDb?.();
  });

  const send = (definition: typeof authorizePayment | typeof capturePayment, data: Record<string, unknown>) => {
    const event = { specversion: '1.0', id: randomUUID(), source: '/emporium/orders', type: definition.type, subject: String(data.orderId), time: new Date().toISOString(), datacontenttype: 'application/json', dataschema: dataschemaOf(definition), data };
    return transport.publish([{ id: event.id, type: event.type, subject: event.subject, producer: 'orders', body: JSON.stringify(event) }]);
  };
  const eventually = async (orderId: string, status: string) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await built.ctx.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId]);
      if (rows[0]?.status === status) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`order ${orderId} never reached ${status}`);
  };

  it('authorizes and captures on its own, woken by the commits that create the tasks', async () => {
    const orderId = randomUUID();
    await send(authorizePayment, { orderId, userId: randomUUID(), amount: usd(1_500), cardNumber: TEST_CARDS.approved });
    await eventually(orderId, 'authorized');
    await send(capturePayment, { orderId, amount: usd(1_500) });
    await eventually(orderId, 'captured');
    const { rows } = await built.ctx.db.query<{ type: string }>('SELECT type FROM outbox WHERE subject = $1 ORDER BY seq', [orderId]);
    expect(rows.map((r) => r.type)).toEqual(['payment.authorized', 'payment.captured']);
  });

  it('does not let a hanging provider call hold up other orders', async () => {
    const hanging = randomUUID();
    const quick = randomUUID();
    await send(authorizePayment, { orderId: hanging, userId: randomUUID(), amount: usd(100), cardNumber: TEST_CARDS.timeout });
    await send(authorizePayment, { orderId: quick, userId: randomUUID(), amount: usd(100), cardNumber: TEST_CARDS.approved });
    await eventually(quick, 'authorized');
    const { rows } = await built.ctx.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [hanging]);
    expect(rows[0]!.status).toBe('pending');
  });
});
