import type { Database } from '@emporium/kit';
import { claimExpired, markReleased } from '../db/reservations.repository.ts';
import { moveStock } from '../db/stock.repository.ts';
import { totals } from '../domain/reservation.ts';
import type { InventoryPublisher } from '../events/publish.ts';

/** The release reason of a reservation that outlived its TTL. */
export const EXPIRED_REASON = 'reservation expired';

/**
 * Releases held reservations past their expiry, `batch` at a time, each batch in one
 * transaction with its events; returns how many it released. Safe in several replicas at
 * once: each claims its own rows (SKIP LOCKED), then locks the stock of the whole batch in
 * product id order, as every other writer does.
 */
export async function expireReservations(db: Database, publish: InventoryPublisher, batch = 100): Promise<number> {
  let released = 0;
  for (;;) {
    const count = await db.transaction(async (tx) => {
      const expired = await claimExpired(tx, batch);
      if (!expired.length) return 0;
      const changed = await moveStock(tx, 'unhold', totals(expired.flatMap((r) => r.lines)));
      await markReleased(tx, expired.map((r) => r.orderId), EXPIRED_REASON, true);
      for (const r of expired) await publish.released(tx, r.orderId, { items: r.lines, reason: EXPIRED_REASON, expired: true });
      await publish.stockChanged(tx, changed);
      return expired.length;
    });
    released += count;
    if (count < batch) return released;
  }
}
