import type { EventHandler } from '@emporium/kit';
import type { productUpdated } from '@emporium/contracts/catalog';
import { applyCatalogName } from '../db/products.repository.ts';

/** product.updated → rename-product: the event carries the whole product, so it applies even without created. */
export const onProductUpdated: EventHandler<typeof productUpdated> = async (event, tx) => {
  await applyCatalogName(tx, event.data.productId, event.data.name, event.time);
};
