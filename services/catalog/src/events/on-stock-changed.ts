import type { EventHandler } from '@emporium/kit';
import type { stockChanged } from '@emporium/contracts/inventory';
import { setStockAvailable } from '../db/products.repository.ts';

/**
 * stock.changed → show-stock: keeps the catalog's copy of a product's available stock, so a
 * product page shows it without asking inventory. The event carries totals, not a diff, and the
 * stock's version: one no newer than the copy (a redelivery, or an older change arriving after a
 * newer one) changes nothing. Events for products the catalog does not have are ignored.
 */
export const onStockChanged: EventHandler<typeof stockChanged> = async (event, tx) => {
  await setStockAvailable(tx, event.data.productId, event.data.available, event.data.version);
};
