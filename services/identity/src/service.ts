import { fileURLToPath } from 'node:url';
import { createLocalJWKSet } from 'jose';
import { defineService, TokenVerifier } from '@emporium/kit';
import { identitySettings } from './config.ts';
import { purgeExpiredAttempts } from './db/login-throttle.repository.ts';
import { keepSigningKey } from './db/signing-keys.repository.ts';
import { findCredentials, insertUser } from './db/users.repository.ts';
import { hashPassword } from './domain/passwords.ts';
import { generateSigningJwk, loadSigningKey } from './domain/signing-key.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { jwksRoutes } from './routes/jwks.routes.ts';
import { usersRoutes } from './routes/users.routes.ts';

const PURGE_EVERY_MS = 10 * 60_000;

/** The identity service: accounts, sign-in, access tokens and the keys that verify them. */
export default defineService({
  name: 'identity',
  description: 'Users, credentials and roles; signs access tokens and publishes the keys that verify them.',
  defaultPort: 8101,
  settings: identitySettings,
  migrations: fileURLToPath(new URL('./db/migrations/', import.meta.url)),
  bodyLimit: 16 * 1024,
  async setup(app, ctx) {
    const { settings, db, messaging, log, onClose } = ctx;
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

    // Replicas may race here; the unique email makes the losing insert a no-op.
    const existing = await findCredentials(db, settings.ADMIN_EMAIL);
    if (existing && !existing.user.roles.includes('admin')) log.warn({ email: settings.ADMIN_EMAIL }, 'ADMIN_EMAIL belongs to an account without the admin role; left as it is');
    if (!existing) {
      const passwordHash = await hashPassword(settings.ADMIN_PASSWORD);
      const admin = await insertUser(db, { email: settings.ADMIN_EMAIL, name: 'Administrator', passwordHash, roles: ['customer', 'admin'] });
      if (admin) log.info({ email: admin.email }, 'admin account created');
    }

    const throttle = { perEmail: settings.LOGIN_MAX_FAILURES_PER_EMAIL, perIp: settings.LOGIN_MAX_FAILURES_PER_IP, windowSeconds: settings.LOGIN_FAILURE_WINDOW_SECONDS };
    const purge = setInterval(() => {
      purgeExpiredAttempts(db, throttle.windowSeconds).catch((err: unknown) => log.warn({ err }, 'could not purge old sign-in attempts'));
    }, PURGE_EVERY_MS).unref();
    onClose(() => clearInterval(purge));

    await app.register(authRoutes, { db, messaging, key, tokenTtlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS, throttle });
    await app.register(usersRoutes, { db, verifier });
    await app.register(jwksRoutes, { keys: [key] });
  },
});
