import { errors, type Database, type Messaging, type ServiceApp } from '@emporium/kit';
import { Problem } from '@emporium/contracts/common';
import { LoginBody, LoginResponse, RegisterBody, RegisterResponse, userRegistered } from '@emporium/contracts/identity';
import { isKnownAddress, rememberAddress } from '../db/sign-in-addresses.repository.ts';
import { clearAttempts, lockCounter, refundAttempt, saveCounter } from '../db/throttle.repository.ts';
import { emailTaken, findCredentials, insertUser, updatePasswordHash } from '../db/users.repository.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword, type ScryptParams } from '../domain/passwords.ts';
import type { SigningKey } from '../domain/signing-key.ts';
import { charge, registrationCounter, signInCounters, type SignInPolicy, type ThrottleCounter, type WindowRule } from '../domain/throttle.ts';
import { signAccessToken } from '../domain/tokens.ts';
import { identityErrors } from '../errors.ts';

/** What the auth routes need from the service. */
export interface AuthRoutesOptions {
  db: Database;
  messaging: Messaging;
  key: SigningKey;
  tokenTtlSeconds: number;
  signIn: SignInPolicy;
  registration: WindowRule;
  /** The scrypt parameters new hashes use (and the dummy hash an unknown email is checked against). */
  passwordParams: ScryptParams;
}

/**
 * Charges the attempt to every counter, or to none: a 429 when any refuses. Charging comes
 * before the costly password hash, so a burst of parallel attempts cannot slip past a limit
 * while their hashes are being computed.
 */
async function admit(db: Database, counters: readonly ThrottleCounter[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const counter of counters) {
      const { state, now } = await lockCounter(tx, counter.key);
      const verdict = charge(counter.rule, state, now);
      if (verdict.admitted) {
        await saveCounter(tx, counter.key, verdict.next);
        continue;
      }
      // Throwing rolls back the charges already made in this transaction.
      throw errors.RATE_LIMITED(`${counter.reason} Try again in ${verdict.retryAfterSeconds} seconds.`, {
        headers: { 'retry-after': String(verdict.retryAfterSeconds) },
      });
    }
  });
}

/** POST /auth/register and POST /auth/login. */
export async function authRoutes(app: ServiceApp, { db, messaging, key, tokenTtlSeconds, signIn, registration, passwordParams }: AuthRoutesOptions): Promise<void> {
  app.post('/auth/register', {
    schema: {
      tags: ['auth'],
      summary: 'Create an account and sign in',
      body: RegisterBody,
      response: { 201: RegisterResponse, 400: Problem, 409: Problem, 429: Problem },
    },
  }, async (request, reply) => {
    await admit(db, [registrationCounter(registration, request.ip)]);
    const email = request.body.email.toLowerCase();
    const name = request.body.name.trim();
    const taken = () => identityErrors.IDENTITY_EMAIL_TAKEN('An account with this email already exists. Sign in instead.');
    // A taken email is answered before the hash is computed; the insert below still settles a race.
    if (await emailTaken(db, email)) throw taken();
    const passwordHash = await hashPassword(request.body.password, passwordParams);
    // The account and user.registered commit together: no welcome without an account, and no account without one.
    const user = await db.transaction(async (tx) => {
      const created = await insertUser(tx, { email, name, passwordHash, roles: ['customer'] });
      if (!created) throw taken();
      await messaging.publish(tx, userRegistered, { userId: created.id, email: created.email, name: created.name }, { subject: created.id });
      // Registering signs in: the address becomes one the account knows.
      await rememberAddress(tx, created.id, request.ip);
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
    const known = await isKnownAddress(db, email, request.ip, signIn.knownAddressDays);
    const counters = signInCounters(signIn, email, request.ip, known);
    // Charged before the check, and cleared or refunded on success (see admit).
    await admit(db, counters);

    const found = await findCredentials(db, email);
    // An unknown email is checked against a dummy hash, so the answer takes as long as for a wrong password.
    const matches = await verifyPassword(request.body.password, found?.passwordHash ?? (await dummyHash(passwordParams)));
    if (!found || !matches || found.disabled) throw identityErrors.IDENTITY_INVALID_CREDENTIALS('The email or password is wrong.');

    await db.transaction(async (tx) => {
      for (const counter of counters) {
        if (counter.onSuccess === 'clear') await clearAttempts(tx, counter.key);
        else if (counter.onSuccess === 'refund') await refundAttempt(tx, counter.key);
      }
      await rememberAddress(tx, found.user.id, request.ip);
    });
    if (needsRehash(found.passwordHash, passwordParams)) await updatePasswordHash(db, found.user.id, await hashPassword(request.body.password, passwordParams));

    const accessToken = await signAccessToken(key, found.user, tokenTtlSeconds);
    return { accessToken, tokenType: 'Bearer' as const, expiresIn: tokenTtlSeconds, user: found.user };
  });
}
