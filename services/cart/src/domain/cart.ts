import type { Cart, CartLine } from '@emporium/contracts/cart';

/** The most of one product a cart line may hold. */
export const MAX_LINE_QUANTITY = 99;

/** The currency carts are priced in; catalog prices in USD only. */
export const CART_CURRENCY = 'USD';

/** A stored line joined with the product's current name and price. */
export interface PricedLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: { amount: number; currency: string };
}

/**
 * The cart as its owner sees it: each line at today's price, the item count (the sum of the
 * quantities, as a cart badge shows it) and the total. Lines priced in another currency than
 * the cart's cannot be added into its total, so they are left out like unavailable products.
 */
export function priceCart(userId: string, lines: readonly PricedLine[], updatedAt: Date | null): Cart {
  const items: CartLine[] = lines
    .filter((line) => line.unitPrice.currency === CART_CURRENCY)
    .map((line) => ({
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPrice: { amount: line.unitPrice.amount, currency: CART_CURRENCY },
      lineTotal: { amount: line.unitPrice.amount * line.quantity, currency: CART_CURRENCY },
    }));
  return {
    userId,
    items,
    itemCount: items.reduce((n, line) => n + line.quantity, 0),
    total: { amount: items.reduce((sum, line) => sum + line.lineTotal.amount, 0), currency: CART_CURRENCY },
    updatedAt: updatedAt === null ? null : updatedAt.toISOString(),
  };
}
