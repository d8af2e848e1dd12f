import type { Queryable } from '@emporium/kit';
import type { CounterState } from '../domain/throttle.ts';

interface CounterRow {
  attempts: number;
  last_attempt_at: Date | string;
  expires_at: Date | string;
  now: Date | string;
}

/**
 * Locks `key`'s counter until the transaction ends (creating an empty one if there is none) and
 * returns it with the database's clock, which every replica shares. Concurrent attempts on the
 * same key wait here for each other, so none decides on a count that another is changing. The
 * clock is read once the lock is held (clock_timestamp, not the transaction's start), so it is
 * never behind the attempt that held the lock before.
 */
export async function lockCounter(q: Queryable, key: string): Promise<{ state: CounterState; now: number }> {
  const { rows } = await q.query<CounterRow>(
    `INSERT INTO throttle AS t (key, attempts, last_attempt_at, expires_at) VALUES ($1, 0, now(), now())
     ON CONFLICT (key) DO UPDATE SET attempts = t.attempts
     RETURNING attempts, last_attempt_at, expires_at, clock_timestamp() AS now`,
    [key],
  );
  const row = rows[0]!;
  return {
    state: { attempts: row.attempts, lastAttemptAt: new Date(row.last_attempt_at).getTime(), expiresAt: new Date(row.expires_at).getTime() },
    now: new Date(row.now).getTime(),
  };
}

/** Stores `key`'s counter (locked by `lockCounter` in the same transaction). */
export async function saveCounter(q: Queryable, key: string, state: CounterState): Promise<void> {
  await q.query('UPDATE throttle SET attempts = $2, last_attempt_at = $3, expires_at = $4 WHERE key = $1', [
    key,
    state.attempts,
    new Date(state.lastAttemptAt),
    new Date(state.expiresAt),
  ]);
}

/** Takes back one attempt charged to `key` (it turned out not to be a failure). */
export async function refundAttempt(q: Queryable, key: string): Promise<void> {
  await q.query('UPDATE throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0', [key]);
}

/** Forgets every attempt charged to `key`. */
export async function clearAttempts(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM throttle WHERE key = $1', [key]);
}

/** Deletes the counters that count as empty; returns how many. */
export async function purgeExpiredCounters(q: Queryable): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM throttle WHERE expires_at <= now()');
  return rowCount;
}
