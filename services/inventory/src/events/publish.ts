import type { Messaging, Transaction } from '@emporium/kit';
import type { ItemQuantity } from '@emporium/contracts/common';
import { inventoryCommitted, inventoryReleased, inventoryReservationFailed, inventoryReserved, stockChanged } from '@emporium/contracts/inventory';
import type { Reservation } from '../db/reservations.repository.ts';
import type { StockRow } from '../db/stock.repository.ts';
import type { FailureReason, Shortage } from '../domain/reservation.ts';

/** Inventory's events, each written to the outbox in the caller's transaction. */
export interface InventoryPublisher {
  reserved(tx: Transaction, reservation: Reservation): Promise<void>;
  reservationFailed(tx: Transaction, orderId: string, reason: FailureReason, shortages: readonly Shortage[]): Promise<void>;
  committed(tx: Transaction, reservation: Reservation): Promise<void>;
  released(tx: Transaction, orderId: string, release: { items: readonly ItemQuantity[]; reason: string; expired: boolean }): Promise<void>;
  /** One stock.changed per row, with its new totals and version. */
  stockChanged(tx: Transaction, rows: readonly StockRow[]): Promise<void>;
}

/** Binds inventory's events to its messaging. */
export function inventoryPublisher(messaging: Messaging): InventoryPublisher {
  return {
    async reserved(tx, r) {
      // Held and committed reservations always have an expiry; the fallback only satisfies the type.
      const expiresAt = r.expiresAt ?? new Date().toISOString();
      await messaging.publish(tx, inventoryReserved, { orderId: r.orderId, reservationId: r.id, items: r.lines, expiresAt }, { subject: r.orderId });
    },
    async reservationFailed(tx, orderId, reason, shortages) {
      await messaging.publish(tx, inventoryReservationFailed, { orderId, reason, shortages: [...shortages] }, { subject: orderId });
    },
    async committed(tx, r) {
      await messaging.publish(tx, inventoryCommitted, { orderId: r.orderId, items: r.lines }, { subject: r.orderId });
    },
    async released(tx, orderId, { items, reason, expired }) {
      await messaging.publish(tx, inventoryReleased, { orderId, items: [...items], reason, expired }, { subject: orderId });
    },
    async stockChanged(tx, rows) {
      for (const { productId, available, reserved, version } of rows) {
        await messaging.publish(tx, stockChanged, { productId, available, reserved, version }, { subject: productId });
      }
    },
  };
}
