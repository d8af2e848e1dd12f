import type { EventHandler } from '@emporium/kit';
import type { orderConfirmed } from '@emporium/contracts/orders';
import { countCoPurchases } from '../db/co-purchases.repository.ts';
import { nameFromOrder } from '../db/products.repository.ts';
import { coPurchases, orderedProducts } from '../domain/co-purchases.ts';

/**
 * order.confirmed → count-co-purchases: each pair of distinct products in the order counts one
 * more order, in both directions. The inbox makes a redelivery count nothing. The order's item
 * names stand in for products whose catalog events have not arrived.
 */
export const onOrderConfirmed: EventHandler<typeof orderConfirmed> = async (event, tx) => {
  const products = orderedProducts(event.data.items);
  await nameFromOrder(tx, products);
  await countCoPurchases(tx, coPurchases(products.map((p) => p.productId)));
};
