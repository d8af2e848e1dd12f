import type { Queryable } from '@emporium/kit';

// A window is over once it started `windowSeconds` ago; such a row counts as empty.
const EXPIRED = `t.window_started_at <= now() - $3::integer * interval '1 second'`;

/**
 * Charges one attempt to `key` if it is under `limit` in the current window (starting a new
 * window when the old one has passed). One conditional upsert, so concurrent attempts on any
 * replica cannot overshoot the limit. Returns false when the limit is reached.
 */
export async function chargeAttempt(q: Queryable, key: string, limit: number, windowSeconds: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO login_throttle AS t (key, attempts, window_started_at) VALUES ($1, 1, now())
     ON CONFLICT (key) DO UPDATE SET
       attempts = CASE WHEN ${EXPIRED} THEN 1 ELSE t.attempts + 1 END,
       window_started_at = CASE WHEN ${EXPIRED} THEN now() ELSE t.window_started_at END
     WHERE ${EXPIRED} OR t.attempts < $2::integer`,
    [key, limit, windowSeconds],
  );
  return rowCount === 1;
}

/** Takes back one attempt charged to `key` (it turned out not to be a failure). */
export async function refundAttempt(q: Queryable, key: string): Promise<void> {
  await q.query('UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0', [key]);
}

/** Forgets every attempt charged to `key`. */
export async function clearAttempts(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM login_throttle WHERE key = $1', [key]);
}

/** Whole seconds until `key`'s window passes (at least 1). */
export async function secondsUntilReset(q: Queryable, key: string, windowSeconds: number): Promise<number> {
  const { rows } = await q.query<{ seconds: number | string | null }>(
    `SELECT ceil(extract(epoch FROM t.window_started_at + $2::integer * interval '1 second' - now()))::integer AS seconds
     FROM login_throttle t WHERE t.key = $1`,
    [key, windowSeconds],
  );
  return Math.max(1, Number(rows[0]?.seconds ?? 1));
}

/** Deletes the rows whose window has passed; returns how many. */
export async function purgeExpiredAttempts(q: Queryable, windowSeconds: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM login_throttle t WHERE t.window_started_at <= now() - $1::integer * interval '1 second'`,
    [windowSeconds],
  );
  return rowCount;
}
