import { defineErrors } from '@emporium/kit';

/** The cart's error codes, each with its HTTP status. */
export const cartErrors = defineErrors({
  CART_ITEM_NOT_FOUND: { status: 404, title: 'The product is not in the cart' },
  CART_UNKNOWN_PRODUCT: { status: 422, title: 'No such product' },
  CART_QUANTITY_LIMIT: { status: 422, title: 'Too many of one product' },
});
