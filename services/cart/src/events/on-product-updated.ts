import type { EventHandler } from '@emporium/kit';
import type { productUpdated } from '@emporium/contracts/catalog';
import { applyProduct } from '../db/products.repository.ts';

/**
 * product.updated → reprice-product: the event carries the whole product, so it is applied
 * even when product.created has not arrived; carts show the new name and price at once.
 */
export const onProductUpdated: EventHandler<typeof productUpdated> = async (event, tx) => {
  const { productId, name, price } = event.data;
  await applyProduct(tx, { id: productId, name, price, at: event.time });
};
