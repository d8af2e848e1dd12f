import { defineErrors } from '@emporium/kit';

/**
 * The recommendations service's own error codes: none yet. Its one route answers only the
 * kit's shared VALIDATION_FAILED; an unknown product is an empty list, not an error.
 */
export const recommendationsErrors = defineErrors({});
