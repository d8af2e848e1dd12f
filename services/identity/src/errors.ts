import { defineErrors } from '@emporium/kit';

/** identity's error codes, each with its HTTP status. */
export const identityErrors = defineErrors({
  IDENTITY_EMAIL_TAKEN: { status: 409, title: 'The email is already registered' },
  IDENTITY_INVALID_CREDENTIALS: { status: 401, title: 'The email or password is wrong' },
  IDENTITY_USER_NOT_FOUND: { status: 404, title: 'The user does not exist' },
});
