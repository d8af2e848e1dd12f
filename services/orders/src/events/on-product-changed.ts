import type { EventHandler } from '@emporium/kit';
import type { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { markProductDeleted, upsertProduct } from '../db/products.repository.ts';

/** product.created and product.updated → the price orders are placed at from now on. */
export const onProductChanged: EventHandler<typeof productCreated | typeof productUpdated> = async (event, tx) => {
  const { productId, name, price } = event.data;
  await upsertProduct(tx, { productId, name, price });
};

/** product.deleted → the product can no longer be ordered. */
export const onProductDeleted: EventHandler<typeof productDeleted> = async (event, tx) => {
  await markProductDeleted(tx, event.data.productId);
};
