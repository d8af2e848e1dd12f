import type { EventHandler } from '@emporium/kit';
import type { productDeleted } from '@emporium/contracts/catalog';
import { discontinueStock } from '../db/stock.repository.ts';

/**
 * product.deleted → discontinue-stock: later reservations of the product fail as
 * unknown-product. Stock already held or sold for it stays, so orders in flight can finish.
 */
export const onProductDeleted: EventHandler<typeof productDeleted> = async (event, tx) => {
  await discontinueStock(tx, event.data.productId);
};
