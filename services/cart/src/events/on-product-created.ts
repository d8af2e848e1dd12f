import type { EventHandler } from '@emporium/kit';
import type { productCreated } from '@emporium/contracts/catalog';
import { applyProduct } from '../db/products.repository.ts';

/** product.created → record-new-product: the product becomes orderable at its price. */
export const onProductCreated: EventHandler<typeof productCreated> = async (event, tx) => {
  const { productId, name, price } = event.data;
  await applyProduct(tx, { id: productId, name, price, at: event.time });
};
