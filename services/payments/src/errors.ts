import { defineErrors } from '@emporium/kit';

/** The payments service's error codes, each with its HTTP status. */
export const paymentsErrors = defineErrors({
  PAYMENTS_NOT_FOUND: { status: 404, title: 'No such payment' },
  PAYMENTS_NOT_REFUNDABLE: { status: 409, title: 'The payment cannot be refunded' },
  PAYMENTS_INVALID_CARD: { status: 422, title: 'The card number is not valid' },
  PAYMENTS_PROVIDER_UNAVAILABLE: { status: 503, title: 'The payment provider is unavailable' },
});
