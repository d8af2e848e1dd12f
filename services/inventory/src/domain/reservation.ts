import type { ItemQuantity } from '@emporium/contracts/common';

/** Where a reservation stands: holding stock, sold, given back, or never made. */
export type ReservationStatus = 'held' | 'committed' | 'released' | 'failed';

/** Why an order gets no stock: the reasons inventory.reservation-failed carries. */
export type FailureReason = 'out-of-stock' | 'unknown-product' | 'expired';

/** One product an order could not have, with what it asked for and what there was. */
export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

/** What a reservation needs to know of one product's (locked) stock row. */
export interface StockLevel {
  available: number;
  discontinued: boolean;
}

/** The outcome of checking an order's lines against the stock. */
export type StockCheck = { ok: true } | { ok: false; reason: 'out-of-stock' | 'unknown-product'; shortages: Shortage[] };

/**
 * The total quantity of each product, keyed by its lowercase id (as the database spells it)
 * and in id order. An order may name a product on several lines; stock moves by the sum.
 */
export function totals(lines: readonly ItemQuantity[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { productId, quantity } of lines) {
    const id = productId.toLowerCase();
    sums.set(id, (sums.get(id) ?? 0) + quantity);
  }
  return new Map([...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Whether every product is known and has enough available stock, all or nothing. An unknown
 * or discontinued product decides the reason (unknown-product) over any plain shortage, since
 * no restock can fix it; the shortages list only the products that caused that reason.
 */
export function checkStock(wanted: ReadonlyMap<string, number>, levels: ReadonlyMap<string, StockLevel>): StockCheck {
  const unknown: Shortage[] = [];
  const short: Shortage[] = [];
  for (const [productId, requested] of wanted) {
    const level = levels.get(productId);
    if (!level || level.discontinued) unknown.push({ productId, requested, available: 0 });
    else if (level.available < requested) short.push({ productId, requested, available: level.available });
  }
  if (unknown.length) return { ok: false, reason: 'unknown-product', shortages: unknown };
  if (short.length) return { ok: false, reason: 'out-of-stock', shortages: short };
  return { ok: true };
}
