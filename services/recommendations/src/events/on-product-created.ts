import type { EventHandler } from '@emporium/kit';
import type { productCreated } from '@emporium/contracts/catalog';
import { applyCatalogName } from '../db/products.repository.ts';

/** product.created → name-new-product: records the name recommendations show for the product. */
export const onProductCreated: EventHandler<typeof productCreated> = async (event, tx) => {
  await applyCatalogName(tx, event.data.productId, event.data.name, event.time);
};
