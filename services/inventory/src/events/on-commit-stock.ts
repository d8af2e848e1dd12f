import type { EventHandler } from '@emporium/kit';
import type { commitStock } from '@emporium/contracts/inventory';
import { lockReservation, markCommitted } from '../db/reservations.repository.ts';
import { lockStock, moveStock } from '../db/stock.repository.ts';
import { checkStock, totals } from '../domain/reservation.ts';
import type { InventoryPublisher } from './publish.ts';

/**
 * inventory.commit → commit-stock: the order's held units are sold. A reservation that expired
 * meanwhile is taken again from the available stock when every line still fits; otherwise,
 * and for a reservation released by a command, failed or never made, the reply is
 * inventory.reservation-failed (expired) and the saga compensates.
 */
export function onCommitStock(publish: InventoryPublisher): EventHandler<typeof commitStock> {
  return async (event, tx) => {
    const { orderId } = event.data;
    const reservation = await lockReservation(tx, orderId);
    if (!reservation) return publish.reservationFailed(tx, orderId, 'expired', []);

    switch (reservation.status) {
      case 'held': {
        const changed = await moveStock(tx, 'sell', totals(reservation.lines));
        await markCommitted(tx, orderId);
        await publish.committed(tx, reservation);
        return publish.stockChanged(tx, changed);
      }
      case 'committed':
        return publish.committed(tx, reservation);
      case 'released': {
        if (!reservation.expired) return publish.reservationFailed(tx, orderId, 'expired', []);
        const wanted = totals(reservation.lines);
        const check = checkStock(wanted, await lockStock(tx, [...wanted.keys()]));
        if (!check.ok) return publish.reservationFailed(tx, orderId, 'expired', check.shortages);
        const changed = await moveStock(tx, 'sell-available', wanted);
        await markCommitted(tx, orderId);
        await publish.committed(tx, reservation);
        return publish.stockChanged(tx, changed);
      }
      case 'failed':
        return publish.reservationFailed(tx, orderId, 'expired', []);
    }
  };
}
