import type { EventHandler } from '@emporium/kit';
import type { productDeleted } from '@emporium/contracts/catalog';
import { markProductDeleted } from '../db/products.repository.ts';

/**
 * product.deleted → retire-product: the product is no longer recommended. Its co-purchase
 * counts are kept: they are history, and cost nothing once it is filtered out.
 */
export const onProductDeleted: EventHandler<typeof productDeleted> = async (event, tx) => {
  await markProductDeleted(tx, event.data.productId);
};
