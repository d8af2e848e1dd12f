/** A product as an order line names it. */
export interface OrderedProduct {
  productId: string;
  name: string;
}

/** One direction of a co-purchase: `otherId` was bought in the same order as `productId`. */
export interface CoPurchase {
  productId: string;
  otherId: string;
}

/** The distinct products of an order, in order of first appearance; a product on two lines counts once. */
export function orderedProducts(items: readonly OrderedProduct[]): OrderedProduct[] {
  const seen = new Map<string, OrderedProduct>();
  for (const { productId, name } of items) {
    const key = productId.toLowerCase();
    if (!seen.has(key)) seen.set(key, { productId: key, name });
  }
  return [...seen.values()];
}

/**
 * Every ordered pair of distinct products, so each unordered pair counts for both directions.
 * Sorted, so concurrent orders update shared rows in one order and do not deadlock.
 */
export function coPurchases(productIds: readonly string[]): CoPurchase[] {
  const ids = [...new Set(productIds.map((id) => id.toLowerCase()))].sort();
  return ids.flatMap((productId) => ids.filter((otherId) => otherId !== productId).map((otherId) => ({ productId, otherId })));
}
