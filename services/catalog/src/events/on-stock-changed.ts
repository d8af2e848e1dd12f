import type { EventHandler } from '@emporium/kit';
import type { stockChanged } from '@emporium/contracts/inventory';
import { setStockAvailable } from '../db/products.repository.ts';

/**
 * stock.changed → show-stock: keeps the catalog's copy of a product's available stock, so a
 * product page shows it without asking inventory. The event carries totals, not a diff, so a
 * repeat is harmless. Events for products the catalog does not have are ignored.
 */
export const onStockChanged: EventHandler<typeof stockChanged> = async (event, tx) => {
  await setStockAvailable(tx, event.data.productId, event.data.available);
};
