import { setting } from '@emporium/kit';

const fraction = (raw: string): number | undefined => {
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(raw)) return undefined;
  return Number(raw);
};

/** The payments service's settings, beyond the common ones. */
export const paymentsSettings = {
  /** The fake provider's simulated network delay per call, before jitter. */
  PAYMENT_PROVIDER_LATENCY_MS: setting.int({ min: 0, max: 60_000 }).with(30),
  /** The share of provider calls that fail as "provider unavailable" (retryable), from 0 to 1. */
  PAYMENT_PROVIDER_FAILURE_RATE: setting.custom('a number from 0 to 1', fraction).with(0),
  /** How long a card token from the fake provider stays valid: checkout authorizes within seconds. */
  PAYMENT_PROVIDER_TOKEN_TTL_MS: setting.int({ min: 1_000, max: 7 * 24 * 3_600_000 }).with(3_600_000),
  /** How long one provider call may take before it is abandoned and retried. */
  PAYMENT_PROVIDER_TIMEOUT_MS: setting.int({ min: 1, max: 120_000 }).with(2_000),
  /** How often the worker looks for due provider tasks; commits that create one also wake it. */
  PAYMENT_WORKER_MS: setting.int({ min: 10, max: 600_000 }).with(1_000),
  /** Provider calls made at once, so one hanging call does not hold up other orders. */
  PAYMENT_WORKER_CONCURRENCY: setting.int({ min: 1, max: 64 }).with(8),
  /** Attempts of an authorization before it is declined as provider_unavailable. */
  PAYMENT_MAX_ATTEMPTS: setting.int({ min: 1, max: 100 }).with(4),
  /** The first retry's delay; each later one doubles, with jitter, up to a minute. */
  PAYMENT_RETRY_BASE_MS: setting.int({ min: 1, max: 600_000 }).with(500),
};
