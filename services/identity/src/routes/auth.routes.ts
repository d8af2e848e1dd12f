import { errors, type Database, type Messaging, type ServiceApp } from '@emporium/kit';
import { Problem } from '@emporium/contracts/common';
import { LoginBody, LoginResponse, RegisterBody, RegisterResponse, userRegistered } from '@emporium/contracts/identity';
import { chargeAttempt, clearAttempts, refundAttempt, secondsUntilReset } from '../db/login-throttle.repository.ts';
import { findCredentials, insertUser, updatePasswordHash } from '../db/users.repository.ts';
import { throttleCounters, type ThrottleCounter, type ThrottlePolicy } from '../domain/login-throttle.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../domain/passwords.ts';
import type { SigningKey } from '../domain/signing-key.ts';
import { signAccessToken } from '../domain/tokens.ts';
import { identityErrors } from '../errors.ts';

/** What the auth routes need from the service. */
export interface AuthRoutesOptions {
  db: Database;
  messaging: Messaging;
  key: SigningKey;
  tokenTtlSeconds: number;
  throttle: ThrottlePolicy;
}

/** Charges the attempt to every counter, or to none: a 429 when any is at its limit. */
async function admit(db: Database, counters: readonly ThrottleCounter[], windowSeconds: number): Promise<void> {
  await db.transaction(async (tx) => {
    for (const counter of counters) {
      if (await chargeAttempt(tx, counter.key, counter.limit, windowSeconds)) continue;
      const seconds = await secondsUntilReset(tx, counter.key, windowSeconds);
      // Throwing rolls back the charges already made in this transaction.
      throw errors.RATE_LIMITED(`Too many failed sign-ins ${counter.reason}. Try again in ${seconds} seconds.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
  });
}

/** POST /auth/register and POST /auth/login. */
export async function authRoutes(app: ServiceApp, { db, messaging, key, tokenTtlSeconds, throttle }: AuthRoutesOptions): Promise<void> {
  app.post('/auth/register', {
    schema: {
      tags: ['auth'],
      summary: 'Create an account and sign in',
      body: RegisterBody,
      response: { 201: RegisterResponse, 400: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const { email, password } = request.body;
    const name = request.body.name.trim();
    const passwordHash = await hashPassword(password);
    // The account and user.registered commit together: no welcome without an account, and no account without one.
    const user = await db.transaction(async (tx) => {
      const created = await insertUser(tx, { email: email.toLowerCase(), name, passwordHash, roles: ['customer'] });
      if (!created) throw identityErrors.IDENTITY_EMAIL_TAKEN('An account with this email already exists. Sign in instead.');
      await messaging.publish(tx, userRegistered, { userId: created.id, email: created.email, name: created.name }, { subject: created.id });
      return created;
    });
    const accessToken = await signAccessToken(key, user, tokenTtlSeconds);
    return reply.code(201).send({ user, accessToken });
  });

  app.post('/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Sign in with email and password',
      body: LoginBody,
      response: { 200: LoginResponse, 400: Problem, 401: Problem, 429: Problem },
    },
  }, async (request) => {
    const email = request.body.email.toLowerCase();
    const [byEmail, byIp] = throttleCounters(throttle, email, request.ip);
    // The attempt is charged before the check and refunded on success, so a burst of parallel
    // guesses cannot slip past the limit while their hashes are being computed.
    await admit(db, [byEmail, byIp], throttle.windowSeconds);

    const found = await findCredentials(db, email);
    // An unknown email is checked against a dummy hash, so the answer takes as long as for a wrong password.
    const matches = await verifyPassword(request.body.password, found?.passwordHash ?? (await dummyHash()));
    if (!found || !matches) throw identityErrors.IDENTITY_INVALID_CREDENTIALS('The email or password is wrong.');

    await db.transaction(async (tx) => {
      await clearAttempts(tx, byEmail.key);
      await refundAttempt(tx, byIp.key);
    });
    if (needsRehash(found.passwordHash)) await updatePasswordHash(db, found.user.id, await hashPassword(request.body.password));

    const accessToken = await signAccessToken(key, found.user, tokenTtlSeconds);
    return { accessToken, tokenType: 'Bearer' as const, expiresIn: tokenTtlSeconds, user: found.user };
  });
}
