import type { EventHandler } from '@emporium/kit';
import type { productCreated } from '@emporium/contracts/catalog';
import { openStock } from '../db/stock.repository.ts';
import type { InventoryPublisher } from './publish.ts';

/**
 * product.created → open-stock: opens the product's stock with its initial units, all
 * available. A repeat, or a creation overtaken by the product's deletion, finds the row and
 * changes nothing.
 */
export function onProductCreated(publish: InventoryPublisher): EventHandler<typeof productCreated> {
  return async (event, tx) => {
    const opened = await openStock(tx, event.data.productId, event.data.initialStock);
    if (opened) await publish.stockChanged(tx, [opened]);
  };
}
