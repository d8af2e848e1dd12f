import { defineErrors } from '@emporium/kit';

/** The catalog's error codes, each with its HTTP status. */
export const catalogErrors = defineErrors({
  CATALOG_PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  CATALOG_SKU_TAKEN: { status: 409, title: 'The SKU is taken' },
  CATALOG_CATEGORY_SLUG_TAKEN: { status: 409, title: 'The category slug is taken' },
  CATALOG_UNKNOWN_CATEGORY: { status: 422, title: 'No such category' },
  CATALOG_UNSUPPORTED_CURRENCY: { status: 422, title: 'The currency is not supported' },
});
