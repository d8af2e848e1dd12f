import type { EventHandler, Transaction } from '@emporium/kit';
import type { reserveStock } from '@emporium/contracts/inventory';
import { claimReservation, insertLines, markFailed, type Reservation } from '../db/reservations.repository.ts';
import { lockStock, moveStock } from '../db/stock.repository.ts';
import { checkStock, totals, type FailureReason } from '../domain/reservation.ts';
import type { InventoryPublisher } from './publish.ts';

/**
 * inventory.reserve → reserve-stock: holds every line of the order, or none. The stock rows
 * are locked in product id order before they are checked, so concurrent orders never oversell
 * and never deadlock. A command for an order that already has a reservation (a redelivery, or
 * a saga retry with a new event id) gets the answer the first one got.
 */
export function onReserveStock({ publish, ttlMs }: { publish: InventoryPublisher; ttlMs: number }): EventHandler<typeof reserveStock> {
  return async (event, tx) => {
    const { orderId, items } = event.data;
    const { created, reservation } = await claimReservation(tx, { orderId, status: 'held', ttlMs });
    if (!created) return answerAgain(tx, publish, reservation);

    await insertLines(tx, orderId, items);
    const wanted = totals(items);
    const check = checkStock(wanted, await lockStock(tx, [...wanted.keys()]));
    if (!check.ok) {
      await markFailed(tx, orderId, check.reason, check.shortages);
      await publish.reservationFailed(tx, orderId, check.reason, check.shortages);
      return;
    }
    const changed = await moveStock(tx, 'hold', wanted);
    await publish.reserved(tx, { ...reservation, lines: items.map((l) => ({ productId: l.productId.toLowerCase(), quantity: l.quantity })) });
    await publish.stockChanged(tx, changed);
  };
}

/** Repeats the first answer; a released reservation (released before, or compensated) holds nothing and says nothing. */
async function answerAgain(tx: Transaction, publish: InventoryPublisher, reservation: Reservation): Promise<void> {
  switch (reservation.status) {
    case 'held':
    case 'committed':
      return publish.reserved(tx, reservation);
    case 'failed':
      return publish.reservationFailed(tx, reservation.orderId, reservation.reason as FailureReason, reservation.shortages);
    case 'released':
      return;
  }
}
