import { defineErrors } from '@emporium/kit';

/** The orders service's error codes, each with its HTTP status. */
export const ordersErrors = defineErrors({
  ORDERS_NOT_FOUND: { status: 404, title: 'No such order' },
  ORDERS_IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'An Idempotency-Key header is required' },
  ORDERS_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used for a different order' },
  ORDERS_EMPTY_CART: { status: 422, title: 'The cart is empty' },
  ORDERS_INVALID_CARD: { status: 422, title: 'The card number is not valid' },
  ORDERS_UNKNOWN_PRODUCT: { status: 422, title: 'A product cannot be ordered' },
  ORDERS_CURRENCY_MISMATCH: { status: 422, title: 'The products are priced in different currencies' },
  ORDERS_DESTINATION_NOT_SERVED: { status: 422, title: 'No carrier ships to the address' },
  ORDERS_TOTAL_TOO_LARGE: { status: 422, title: 'The order total is over the largest amount the platform handles' },
  ORDERS_NOT_CANCELLABLE: { status: 409, title: 'The order can no longer be cancelled' },
  ORDERS_SAGA_NOT_FOUND: { status: 404, title: 'No such saga' },
  ORDERS_SAGA_CONFLICT: { status: 409, title: 'The saga cannot do that in its state' },
  ORDERS_TOO_MANY_STREAMS: { status: 429, title: 'Too many order streams are open' },
});
