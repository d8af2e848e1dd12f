import { MAX_MONEY_AMOUNT, type ItemQuantity, type Money } from '@emporium/contracts/common';
import type { OrderLine } from '@emporium/contracts/orders';

/** The largest quantity of one product in one order. */
export const MAX_LINE_QUANTITY = 1_000;

/** Adds up repeated lines of one product, keeping the order in which products first appear. */
export function mergeLines(items: readonly ItemQuantity[]): ItemQuantity[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of items) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** Why some lines cannot be priced. */
export type PricingProblem =
  | { kind: 'unknown'; productIds: string[] }
  | { kind: 'currency'; currencies: string[] }
  | { kind: 'quantity'; productIds: string[] }
  | { kind: 'total'; total: Money };

/**
 * The total of an order: its lines' total plus its shipping, or what stands in the way (another
 * currency, or a sum over the largest amount any event or command can carry).
 */
export function addShipping(itemsTotal: Money, shipping: Money): Money | PricingProblem {
  if (shipping.currency !== itemsTotal.currency) return { kind: 'currency', currencies: [itemsTotal.currency, shipping.currency] };
  const total = { amount: itemsTotal.amount + shipping.amount, currency: itemsTotal.currency };
  return total.amount > MAX_MONEY_AMOUNT ? { kind: 'total', total } : total;
}

/** Prices merged lines from the catalog's prices: the lines and the total, or what stands in the way. */
export function priceLines(
  items: readonly ItemQuantity[],
  prices: ReadonlyMap<string, { name: string; price: Money }>,
): { lines: OrderLine[]; total: Money } | PricingProblem {
  const unknown = items.filter((i) => !prices.has(i.productId)).map((i) => i.productId);
  if (unknown.length) return { kind: 'unknown', productIds: unknown };
  const tooMany = items.filter((i) => i.quantity > MAX_LINE_QUANTITY).map((i) => i.productId);
  if (tooMany.length) return { kind: 'quantity', productIds: tooMany };
  const currencies = [...new Set(items.map((i) => prices.get(i.productId)!.price.currency))];
  if (currencies.length > 1) return { kind: 'currency', currencies };
  const lines = items.map(({ productId, quantity }) => {
    const { name, price } = prices.get(productId)!;
    return { productId, name, quantity, unitPrice: price, lineTotal: { amount: price.amount * quantity, currency: price.currency } };
  });
  const total = { amount: lines.reduce((sum, l) => sum + l.lineTotal.amount, 0), currency: currencies[0]! };
  // Every event and command that carries the total would refuse it: refuse the order instead.
  if (total.amount > MAX_MONEY_AMOUNT) return { kind: 'total', total };
  return { lines, total };
}
