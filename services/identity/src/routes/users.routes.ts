import { bearer, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { Problem } from '@emporium/contracts/common';
import { User } from '@emporium/contracts/identity';
import { findUserById } from '../db/users.repository.ts';
import { identityErrors } from '../errors.ts';

/** What the user routes need from the service. */
export interface UsersRoutesOptions {
  db: Database;
  verifier: TokenVerifier;
}

/** GET /users/me. */
export async function usersRoutes(app: ServiceApp, { db, verifier }: UsersRoutesOptions): Promise<void> {
  app.get('/users/me', {
    onRequest: requireUser(verifier),
    schema: {
      tags: ['users'],
      summary: "The caller's profile, with roles",
      security: bearer,
      response: { 200: User, 401: Problem, 404: Problem },
    },
  }, async (request) => {
    // Read from the database, not the token: roles may have changed since it was issued.
    const user = await findUserById(db, request.caller!.id);
    if (!user) throw identityErrors.IDENTITY_USER_NOT_FOUND('The account this token was issued for no longer exists.');
    return user;
  });
}
