import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultsToFlagd, writeFlagsFile } from '@emporium/kit';
import { pglite } from '@emporium/testing';
import { startPayments, TEST_CARDS, type Payments } from './helpers.ts';

/** Polls `check` until it holds, for at most 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the fake payment provider under fault flags', () => {
  let dir: string;
  let file: string;
  let p: Payments;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emporium-payments-faults-'));
    file = join(dir, 'faults.flagd.json');
    // The provider's own settings: no latency, no failures. Only the flags change that.
    p = await startPayments(pglite, { FAULTS_FILE: file, FAULTS_POLL_MS: '25', PAYMENT_PROVIDER_FAILURE_RATE: '0', PAYMENT_PROVIDER_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await p?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tokenize = async () => p.app.inject({ method: 'POST', url: '/payment-methods', headers: await p.auth('8f4e4f7e-5a0e-4a4e-9a57-2f1a3a0c1b11'), payload: { cardNumber: TEST_CARDS.approved } });

  it('fails every call while payment-failure is on, and reads its settings again once it is off', async () => {
    const { payment } = p.built.ctx.faults;
    expect((await tokenize()).statusCode).toBe(201);
    await writeFlagsFile(file, faultsToFlagd([{ kind: 'payment-failure', service: 'payments', value: 1, enabled: true }]));
    await until(() => payment.failureRate() === 1, 'the failure fault is seen');
    const failed = await tokenize();
    expect(failed.statusCode).toBe(503);
    const metrics = await p.app.inject({ method: 'GET', url: '/metrics', headers: await p.auth('8f4e4f7e-5a0e-4a4e-9a57-2f1a3a0c1b11', ['admin']) });
    expect(metrics.body).toMatch(/faults_injected_total\{kind="payment-failure",target="provider",service="payments"\} [1-9]/);

    await writeFlagsFile(file, faultsToFlagd([{ kind: 'payment-failure', service: 'payments', value: 1, enabled: false }]));
    await until(() => payment.failureRate() === undefined, 'the failure fault is off');
    expect((await tokenize()).statusCode).toBe(201);
  });

  it('slows every call to the fault’s latency while payment-latency is on', async () => {
    const { payment } = p.built.ctx.faults;
    await writeFlagsFile(file, faultsToFlagd([{ kind: 'payment-latency', service: 'payments', value: 300, enabled: true }]));
    await until(() => payment.latencyMs() === 300, 'the latency fault is seen');
    const started = Date.now();
    expect((await tokenize()).statusCode).toBe(201);
    // Each call waits between half and one and a half of the mean.
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);

    await writeFlagsFile(file, faultsToFlagd([]));
    await until(() => payment.latencyMs() === undefined, 'the latency fault is off');
    const quick = Date.now();
    expect((await tokenize()).statusCode).toBe(201);
    expect(Date.now() - quick).toBeLessThan(145);
  });
});
