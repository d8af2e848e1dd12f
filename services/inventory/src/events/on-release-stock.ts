import type { EventHandler } from '@emporium/kit';
import type { releaseStock } from '@emporium/contracts/inventory';
import { claimReservation, markReleased } from '../db/reservations.repository.ts';
import { moveStock } from '../db/stock.repository.ts';
import { totals } from '../domain/reservation.ts';
import type { InventoryPublisher } from './publish.ts';

/**
 * inventory.release → release-stock: gives an order's held units (or its sold ones, for a
 * cancelled confirmed order) back to the available stock. Every command gets an
 * inventory.released reply, since the saga waits for one, but units move only once.
 */
export function onReleaseStock(publish: InventoryPublisher): EventHandler<typeof releaseStock> {
  return async (event, tx) => {
    const { orderId, reason } = event.data;
    // A release that overtakes its reserve leaves a released tombstone: the late reserve holds nothing.
    const { created, reservation } = await claimReservation(tx, { orderId, status: 'released', reason });
    if (created) return publish.released(tx, orderId, { items: [], reason, expired: false });

    switch (reservation.status) {
      case 'held':
      case 'committed': {
        const changed = await moveStock(tx, reservation.status === 'held' ? 'unhold' : 'unsell', totals(reservation.lines));
        await markReleased(tx, [orderId], reason, false);
        await publish.released(tx, orderId, { items: reservation.lines, reason, expired: false });
        return publish.stockChanged(tx, changed);
      }
      case 'released':
        // Tell what happened the first time (a tombstone has no lines).
        return publish.released(tx, orderId, { items: reservation.lines, reason: reservation.reason ?? reason, expired: reservation.expired });
      case 'failed':
        return publish.released(tx, orderId, { items: [], reason, expired: false });
    }
  };
}
