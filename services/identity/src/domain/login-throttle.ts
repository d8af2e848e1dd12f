/** How many failed sign-ins are allowed per email and per client address within one window. */
export interface ThrottlePolicy {
  perEmail: number;
  perIp: number;
  windowSeconds: number;
}

/** One counter a sign-in attempt is charged to. */
export interface ThrottleCounter {
  key: string;
  limit: number;
  /** Completes "Too many failed sign-ins ..." in the 429 answer. */
  reason: string;
}

/**
 * The counters one attempt is charged to, always in the same order (email, then address), so
 * concurrent attempts lock the rows in one order and cannot deadlock.
 */
export function throttleCounters(policy: ThrottlePolicy, email: string, ip: string): [email: ThrottleCounter, ip: ThrottleCounter] {
  return [
    { key: `email:${email}`, limit: policy.perEmail, reason: 'for this email' },
    { key: `ip:${ip}`, limit: policy.perIp, reason: 'from this address' },
  ];
}
