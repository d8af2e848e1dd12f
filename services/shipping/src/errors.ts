import { defineErrors } from '@emporium/kit';

/** The shipping service's error codes, each with its HTTP status. */
export const shippingErrors = defineErrors({
  SHIPPING_SHIPMENT_NOT_FOUND: { status: 404, title: 'No such shipment' },
  SHIPPING_INVALID_TRANSITION: { status: 409, title: 'The shipment cannot make this move' },
  SHIPPING_DESTINATION_NOT_SERVED: { status: 422, title: 'No carrier serves the destination' },
});
