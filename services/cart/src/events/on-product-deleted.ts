import type { EventHandler } from '@emporium/kit';
import type { productDeleted } from '@emporium/contracts/catalog';
import { markProductDeleted } from '../db/products.repository.ts';

/**
 * product.deleted → retire-product: carts stop showing and counting the product, and it can no
 * longer be added. Lines stay stored, hidden, rather than being removed from every cart.
 */
export const onProductDeleted: EventHandler<typeof productDeleted> = async (event, tx) => {
  await markProductDeleted(tx, event.data.productId);
};
