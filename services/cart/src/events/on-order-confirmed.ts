import type { EventHandler } from '@emporium/kit';
import type { orderConfirmed } from '@emporium/contracts/orders';
import { lockCart, markCartChanged, removeLines } from '../db/carts.repository.ts';

/**
 * order.confirmed → clear-ordered-items: an order placed from the cart takes its products out
 * of it. Only the ordered products' lines go; lines added while checkout ran stay. Orders never
 * asks for this: the cart reacts to the event (choreography).
 */
export const onOrderConfirmed: EventHandler<typeof orderConfirmed> = async (event, tx) => {
  const { userId, items, fromCart } = event.data;
  if (!fromCart) return;
  // The cart's row lock first, in the same order as the routes take it, so the two cannot deadlock.
  if (!(await lockCart(tx, userId))) return;
  const removed = await removeLines(tx, userId, items.map((item) => item.productId));
  if (removed > 0) await markCartChanged(tx, userId);
};
