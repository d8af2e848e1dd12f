/** At most `limit` attempts in a fixed window of `windowSeconds`. */
export interface WindowRule {
  kind: 'window';
  limit: number;
  windowSeconds: number;
}

/**
 * `free` attempts pass; from then on each attempt must wait after the one before, twice as long
 * each time (`firstWaitSeconds`, doubling, at most `maxWaitSeconds`). The count is forgotten
 * `forgetSeconds` after the last wait it imposes has passed.
 */
export interface BackoffRule {
  kind: 'backoff';
  free: number;
  firstWaitSeconds: number;
  maxWaitSeconds: number;
  forgetSeconds: number;
}

/** How a counter limits the attempts charged to it. */
export type ThrottleRule = WindowRule | BackoffRule;

/** A counter as stored; times in epoch milliseconds. Past `expiresAt` it counts as empty. */
export interface CounterState {
  attempts: number;
  lastAttemptAt: number;
  expiresAt: number;
}

/** Whether an attempt may be charged: the counter's next state, or how long to wait. */
export type Verdict = { admitted: true; next: CounterState } | { admitted: false; retryAfterSeconds: number };

/** What a successful attempt does to a counter: forget it, take back its charge, or neither. */
export type OnSuccess = 'clear' | 'refund' | 'keep';

/** One counter an attempt is charged to. */
export interface ThrottleCounter {
  key: string;
  rule: ThrottleRule;
  onSuccess: OnSuccess;
  /** The first sentence of the 429 answer. */
  reason: string;
}

/** The wait a backoff counter imposes after `attempts` attempts, in seconds. */
export function waitSeconds(rule: BackoffRule, attempts: number): number {
  if (attempts < rule.free) return 0;
  // The exponent is bounded so that a long-lived counter cannot overflow to Infinity.
  return Math.min(rule.maxWaitSeconds, rule.firstWaitSeconds * 2 ** Math.min(attempts - rule.free, 40));
}

const refused = (ms: number): Verdict => ({ admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

/** Charges one attempt to a counter in `state` (absent: never charged) at `now`, if its rule allows. */
export function charge(rule: ThrottleRule, state: CounterState | undefined, now: number): Verdict {
  const live = state && state.expiresAt > now ? state : undefined;
  if (rule.kind === 'window') {
    if (!live) return { admitted: true, next: { attempts: 1, lastAttemptAt: now, expiresAt: now + rule.windowSeconds * 1000 } };
    if (live.attempts < rule.limit) return { admitted: true, next: { ...live, attempts: live.attempts + 1, lastAttemptAt: now } };
    return refused(live.expiresAt - now);
  }
  const before = live?.attempts ?? 0;
  const wait = waitSeconds(rule, before) * 1000;
  const allowedAt = (live?.lastAttemptAt ?? now) + wait;
  if (wait > 0 && allowedAt > now) return refused(allowedAt - now);
  const attempts = before + 1;
  return { admitted: true, next: { attempts, lastAttemptAt: now, expiresAt: now + (waitSeconds(rule, attempts) + rule.forgetSeconds) * 1000 } };
}

/** How identity throttles sign-ins. */
export interface SignInPolicy {
  /** Failures for one account from one address. */
  perAccountAndAddress: BackoffRule;
  /** Failures for one account from every address it has not signed in from before. */
  perAccount: BackoffRule;
  /** Failures from one address, whatever the account. */
  perAddress: WindowRule;
  /** How long a successful sign-in keeps its address known to the account. */
  knownAddressDays: number;
}

/**
 * The counters a sign-in attempt is charged to, always in the same order (account and address,
 * account, address), so concurrent attempts lock their rows in one order and cannot deadlock.
 * An address the account signed in from before skips the account-wide counter: failures from
 * anywhere else can then slow down strangers but never lock the owner out.
 */
export function signInCounters(policy: SignInPolicy, email: string, address: string, knownAddress: boolean): ThrottleCounter[] {
  const counters: ThrottleCounter[] = [
    { key: `account-address:${email} ${address}`, rule: policy.perAccountAndAddress, onSuccess: 'clear', reason: 'Too many failed sign-ins to this account from this address.' },
  ];
  if (!knownAddress) {
    counters.push({ key: `account:${email}`, rule: policy.perAccount, onSuccess: 'refund', reason: 'Too many failed sign-ins to this account from addresses it has not signed in from before.' });
  }
  counters.push({ key: `address:${address}`, rule: policy.perAddress, onSuccess: 'refund', reason: 'Too many failed sign-ins from this address.' });
  return counters;
}

/** The counter a registration is charged to: every attempt counts, since each costs a password hash. */
export function registrationCounter(rule: WindowRule, address: string): ThrottleCounter {
  return { key: `register:${address}`, rule, onSuccess: 'keep', reason: 'Too many registrations from this address.' };
}
