import type { Database, Queryable } from '@emporium/kit';

/**
 * Takes one of a user's `limit` status-stream slots for `leaseMs`, or returns false when all are
 * held. Slots are rows, so a user's streams count across replicas; the user's lock makes two
 * streams opening at once count one after the other.
 */
export async function claimStreamSlot(db: Database, slot: { id: string; userId: string; limit: number; leaseMs: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`emporium.order-streams.${slot.userId}`]);
    // Slots whose replica died lapse; a few are cleared here, skipping those another claim holds.
    await tx.query('DELETE FROM order_streams WHERE id IN (SELECT id FROM order_streams WHERE expires_at < now() LIMIT 100 FOR UPDATE SKIP LOCKED)');
    const { rows } = await tx.query<{ n: string | number }>('SELECT count(*) AS n FROM order_streams WHERE user_id = $1 AND expires_at >= now()', [slot.userId]);
    if (Number(rows[0]!.n) >= slot.limit) return false;
    await tx.query('INSERT INTO order_streams (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))', [slot.id, slot.userId, slot.leaseMs / 1000]);
    return true;
  });
}

/** Keeps an open stream's slot for another `leaseMs`. */
export async function renewStreamSlot(q: Queryable, id: string, leaseMs: number): Promise<void> {
  await q.query('UPDATE order_streams SET expires_at = now() + make_interval(secs => $2) WHERE id = $1', [id, leaseMs / 1000]);
}

/** Frees a closed stream's slot. */
export async function releaseStreamSlot(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM order_streams WHERE id = $1', [id]);
}
