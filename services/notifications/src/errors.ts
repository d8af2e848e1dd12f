import { defineErrors } from '@emporium/kit';

/**
 * The notifications service's own error codes: none yet. Its one route answers only the kit's
 * shared codes (VALIDATION_FAILED, UNAUTHENTICATED); codes of its own are added here.
 */
export const notificationsErrors = defineErrors({});
