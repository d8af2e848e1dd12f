import { defineErrors } from '@emporium/kit';

/** The inventory's error codes, each with its HTTP status. */
export const inventoryErrors = defineErrors({
  INVENTORY_PRODUCT_NOT_FOUND: { status: 404, title: 'No stock for this product' },
});
