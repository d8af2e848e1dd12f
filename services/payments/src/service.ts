import { fileURLToPath } from 'node:url';
import { defineService, type ServiceApp } from '@emporium/kit';
import { authorizePayment, cancelPayment, capturePayment } from '@emporium/contracts/payments';
import { paymentsSettings } from './config.ts';
import { facts } from './events/facts.ts';
import { onAuthorizePayment } from './events/on-authorize-payment.ts';
import { onCancelPayment } from './events/on-cancel-payment.ts';
import { onCapturePayment } from './events/on-capture-payment.ts';
import { FakeProvider } from './provider/fake-provider.ts';
import { paymentMethodRoutes } from './routes/payment-methods.routes.ts';
import { paymentRoutes } from './routes/payments.routes.ts';
import { PaymentWorker } from './worker/payment-worker.ts';

const workers = new WeakMap<ServiceApp, PaymentWorker>();

/** The provider worker of a built payments service, for tests that drive it round by round. */
export function paymentWorkerOf(app: ServiceApp): PaymentWorker {
  const worker = workers.get(app);
  if (!worker) throw new Error('not a payments service app');
  return worker;
}

/** Payments: authorizes, captures, voids and refunds through the provider for the checkout saga. */
export default defineService({
  name: 'payments',
  description: 'Payments of orders: cards exchanged for provider tokens, the checkout saga\'s authorize, capture and cancel commands carried out at the payment provider, and refunds by admins.',
  defaultPort: 8106,
  settings: paymentsSettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  async setup(app, ctx) {
    const s = ctx.settings;
    const provider = new FakeProvider(ctx.db, { latencyMs: s.PAYMENT_PROVIDER_LATENCY_MS, failureRate: s.PAYMENT_PROVIDER_FAILURE_RATE, tokenTtlMs: s.PAYMENT_PROVIDER_TOKEN_TTL_MS, faults: ctx.faults.payment });
    // The provider's own housekeeping, as a real one forgets expired tokens on its side.
    ctx.background('provider-vault', 3_600_000, () => provider.forgetExpiredTokens());
    const worker = new PaymentWorker({
      db: ctx.db,
      facts: facts(ctx.messaging),
      provider,
      log: ctx.log,
      options: { timeoutMs: s.PAYMENT_PROVIDER_TIMEOUT_MS, maxAttempts: s.PAYMENT_MAX_ATTEMPTS, retryBaseMs: s.PAYMENT_RETRY_BASE_MS, concurrency: s.PAYMENT_WORKER_CONCURRENCY },
    });
    worker.attach(ctx.background('payment-tasks', s.PAYMENT_WORKER_MS, () => worker.round()));
    ctx.onClose(() => worker.stop());
    workers.set(app, worker);

    const deps = { facts: facts(ctx.messaging), wake: () => worker.wake() };
    ctx.messaging.subscribe(authorizePayment, 'authorize-payment', onAuthorizePayment(deps));
    ctx.messaging.subscribe(capturePayment, 'capture-payment', onCapturePayment(deps));
    ctx.messaging.subscribe(cancelPayment, 'cancel-payment', onCancelPayment(deps));
    await app.register(paymentRoutes, { db: ctx.db, verifier: ctx.verifier, wake: deps.wake });
    await app.register(paymentMethodRoutes, { provider, verifier: ctx.verifier, timeoutMs: s.PAYMENT_PROVIDER_TIMEOUT_MS });
  },
});
