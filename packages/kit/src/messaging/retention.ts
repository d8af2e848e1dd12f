import type { Queryable } from '../db/types.ts';

/** How long published outbox rows, inbox records and stream messages are kept: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * The inbox is kept this much longer than a stream keeps a message, so a message that can
 * still be redelivered (or replayed by a new consumer) always finds its record.
 */
export const INBOX_MARGIN_MS = 24 * 3_600_000;

/** Rows deleted per statement, so a round never holds a long transaction or a big lock. */
const BATCH = 1_000;

/** What one retention round deleted. */
export interface Pruned {
  outbox: number;
  inbox: number;
}

/**
 * Deletes outbox rows published more than `retentionMs` ago (never an unpublished one, nor a row
 * of a kept type) and inbox records handled more than `retentionMs` plus the margin ago. Safe in
 * several replicas at once: a row another one deleted first is simply not counted.
 */
export async function pruneMessaging(db: Queryable, retentionMs: number): Promise<Pruned> {
  const seconds = retentionMs / 1000;
  const outbox = await inBatches(db, `
    DELETE FROM outbox WHERE seq IN (
      SELECT seq FROM outbox
      WHERE NOT kept AND created_at < now() - make_interval(secs => $1) AND published_at < now() - make_interval(secs => $1)
      ORDER BY created_at LIMIT $2)`, seconds);
  const inbox = await inBatches(db, `
    DELETE FROM inbox WHERE (event_id, purpose) IN (
      SELECT event_id, purpose FROM inbox WHERE handled_at < now() - make_interval(secs => $1) LIMIT $2)`, seconds + INBOX_MARGIN_MS / 1000);
  return { outbox, inbox };
}

async function inBatches(db: Queryable, sql: string, seconds: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(sql, [seconds, BATCH]);
    total += rowCount;
    if (rowCount < BATCH) return total;
  }
}
