import { describe, expect, it } from 'vitest';
import { charge, signInCounters, type BackoffRule, type CounterState, type SignInPolicy, type WindowRule } from '../src/domain/throttle.ts';

const backoff: BackoffRule = { kind: 'backoff', free: 3, firstWaitSeconds: 10, maxWaitSeconds: 60, forgetSeconds: 100 };
const window: WindowRule = { kind: 'window', limit: 2, windowSeconds: 60 };
const s = (seconds: number) => seconds * 1000;

/** Charges attempts at the given times (seconds); each answer is 'ok' or the Retry-After. */
function run(rule: BackoffRule | WindowRule, times: number[]): Array<'ok' | number> {
  let state: CounterState | undefined;
  return times.map((t) => {
    const verdict = charge(rule, state, s(t));
    if (!verdict.admitted) return verdict.retryAfterSeconds;
    state = verdict.next;
    return 'ok';
  });
}

describe('throttle', () => {
  it('lets the free attempts through, then doubles the wait after each attempt, up to the cap', () => {
    // Free at 0, 1, 2; then waits of 10, 20, 40, 60 (capped), 60.
    expect(run(backoff, [0, 1, 2, 3, 12, 13, 32, 33, 72, 132, 150, 192])).toEqual(['ok', 'ok', 'ok', 9, 'ok', 19, 'ok', 39, 'ok', 'ok', 42, 'ok']);
  });

  it('forgets a backoff count once the last wait and the forget time have passed', () => {
    // After the 4th attempt, at 30, the wait is 20 s: the count is forgotten at 30 + 20 + 100 = 150.
    expect(run(backoff, [0, 10, 20, 30, 149, 150])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 39]);
    expect(run(backoff, [0, 10, 20, 30, 150, 151, 152, 153])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 9]);
  });

  it('counts a window from its first attempt and answers with the time left in it', () => {
    expect(run(window, [0, 10, 20, 59, 60, 61, 62])).toEqual(['ok', 'ok', 40, 1, 'ok', 'ok', 58]);
  });

  it('charges an address the account signed in from before to its own counters only, never the account-wide one', () => {
    const policy: SignInPolicy = { perAccountAndAddress: backoff, perAccount: backoff, perAddress: window, knownAddressDays: 30 };
    const keys = (known: boolean) => signInCounters(policy, 'ada@example.com', '10.0.0.1', known).map((c) => c.key);
    expect(keys(false)).toEqual(['account-address:ada@example.com 10.0.0.1', 'account:ada@example.com', 'address:10.0.0.1']);
    expect(keys(true)).toEqual(['account-address:ada@example.com 10.0.0.1', 'address:10.0.0.1']);
  });
});
