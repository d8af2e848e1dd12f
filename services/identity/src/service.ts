import { fileURLToPath } from 'node:url';
import { createLocalJWKSet } from 'jose';
import { defineService, TokenVerifier, type Database, type Logger } from '@emporium/kit';
import { identitySettings } from './config.ts';
import { forgetOldAddresses } from './db/sign-in-addresses.repository.ts';
import { keepSigningKey } from './db/signing-keys.repository.ts';
import { purgeExpiredCounters } from './db/throttle.repository.ts';
import { disableUser, findCredentials, insertUser, updatePasswordHash } from './db/users.repository.ts';
import { DEV_ACCOUNTS } from './domain/dev-accounts.ts';
import { hashPassword, PRODUCTION_LOG2_N, scryptParams, verifyPassword, type ScryptParams } from './domain/passwords.ts';
import { generateSigningJwk, loadSigningKey } from './domain/signing-key.ts';
import type { SignInPolicy } from './domain/throttle.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { jwksRoutes } from './routes/jwks.routes.ts';
import { usersRoutes } from './routes/users.routes.ts';

const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Makes sure no development account still signs in with its well-known password, for a
 * production start on data first used in development. The ADMIN_EMAIL account takes
 * ADMIN_PASSWORD, as it would have on fresh data; any other is disabled. Both keep the site up.
 */
async function retireDevAccounts(db: Database, admin: { email: string; password: string }, params: ScryptParams, log: Logger): Promise<void> {
  for (const dev of Object.values(DEV_ACCOUNTS)) {
    const found = await findCredentials(db, dev.email);
    if (!found || found.disabled || !(await verifyPassword(dev.password, found.passwordHash))) continue;
    if (dev.email === admin.email) {
      await updatePasswordHash(db, found.user.id, await hashPassword(admin.password, params));
      log.warn({ email: dev.email }, `the development account ${dev.email} still had its development password: it now signs in with ADMIN_PASSWORD only`);
    } else {
      await disableUser(db, found.user.id);
      log.warn({ email: dev.email }, `the development account ${dev.email} still had its development password: it is disabled and can no longer sign in`);
    }
  }
}

/** The identity service: accounts, sign-in, access tokens and the keys that verify them. */
export default defineService({
  name: 'identity',
  description: 'Users, credentials and roles; signs access tokens and publishes the keys that verify them.',
  defaultPort: 8101,
  settings: identitySettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  bodyLimit: 16 * 1024,
  async setup(app, ctx) {
    const { settings, db, messaging, log } = ctx;
    let jwk = settings.IDENTITY_SIGNING_KEY;
    if (!jwk) {
      const kept = await keepSigningKey(db, await generateSigningJwk());
      if (kept.created) log.warn({ kid: kept.jwk.kid }, 'generated a signing key and stored it in the database (development only)');
      jwk = kept.jwk;
    }
    const key = loadSigningKey(jwk);
    // identity verifies its own tokens with its own public key, not over HTTP.
    const verifier = new TokenVerifier({ jwks: createLocalJWKSet({ keys: [key.publicJwk] }) });
    // The kit's own routes (dead letters, outbox) verify with it too: identity need not know its own URL.
    ctx.verifier = verifier;

    if (settings.NODE_ENV === 'production' && settings.PASSWORD_SCRYPT_LOG2N < PRODUCTION_LOG2_N) {
      throw new Error(`PASSWORD_SCRYPT_LOG2N below ${PRODUCTION_LOG2_N} is for tests only; production refuses it`);
    }
    const passwordParams = scryptParams(settings.PASSWORD_SCRYPT_LOG2N);
    if (settings.NODE_ENV === 'production') await retireDevAccounts(db, { email: settings.ADMIN_EMAIL, password: settings.ADMIN_PASSWORD }, passwordParams, log);
    // Replicas may race here; the unique email makes the losing insert a no-op.
    const existing = await findCredentials(db, settings.ADMIN_EMAIL);
    if (existing && !existing.user.roles.includes('admin')) log.warn({ email: settings.ADMIN_EMAIL }, 'ADMIN_EMAIL belongs to an account without the admin role; left as it is');
    if (!existing) {
      const passwordHash = await hashPassword(settings.ADMIN_PASSWORD, passwordParams);
      const admin = await insertUser(db, { email: settings.ADMIN_EMAIL, name: 'Administrator', passwordHash, roles: ['customer', 'admin'] });
      if (admin) log.info({ email: admin.email }, 'admin account created');
    }

    const backoff = { firstWaitSeconds: settings.LOGIN_FIRST_WAIT_SECONDS, maxWaitSeconds: settings.LOGIN_MAX_WAIT_SECONDS, forgetSeconds: settings.LOGIN_FAILURE_WINDOW_SECONDS };
    const signIn: SignInPolicy = {
      perAccountAndAddress: { kind: 'backoff', free: settings.LOGIN_FREE_FAILURES, ...backoff },
      perAccount: { kind: 'backoff', free: settings.LOGIN_ACCOUNT_FREE_FAILURES, ...backoff },
      perAddress: { kind: 'window', limit: settings.LOGIN_MAX_FAILURES_PER_IP, windowSeconds: settings.LOGIN_FAILURE_WINDOW_SECONDS },
      knownAddressDays: settings.LOGIN_KNOWN_ADDRESS_DAYS,
    };
    const registration = { kind: 'window' as const, limit: settings.REGISTER_MAX_PER_IP, windowSeconds: settings.REGISTER_WINDOW_SECONDS };
    ctx.background('purge-throttle', PURGE_EVERY_MS, async () => {
      await purgeExpiredCounters(db);
      await forgetOldAddresses(db, signIn.knownAddressDays);
    });

    await app.register(authRoutes, { db, messaging, key, tokenTtlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS, signIn, registration, passwordParams });
    await app.register(usersRoutes, { db, verifier });
    await app.register(jwksRoutes, { keys: [key] });
  },
});
