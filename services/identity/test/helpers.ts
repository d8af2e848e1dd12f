import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { buildService, type Database, type Logger, type SettingsSource } from '@emporium/kit';
import type { DatabaseKind, TestDatabase } from '@emporium/testing';
import service from '../src/service.ts';

/**
 * Builds identity on `db` with silent logs (or `log`); `source` adds or overrides settings.
 * Outside production, password hashes cost 2^10 rather than 2^15: the tests sign in hundreds of
 * times, and what they check does not depend on the cost (passwords.test.ts checks the real ones).
 */
export function startIdentity(db: Database, source: SettingsSource = {}, log?: Logger) {
  const cheap = source.NODE_ENV === 'production' ? {} : { PASSWORD_SCRYPT_LOG2N: '10' };
  return buildService(service, { source: { LOG_LEVEL: 'silent', ...cheap, ...source }, db, log });
}

/** A built identity service. */
export type Identity = Awaited<ReturnType<typeof startIdentity>>;

/** An email no other test uses. */
export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

let lastIp = 0;
/** A client address no other test uses, so tests do not share the per-address sign-in counter. */
export const freshIp = () => {
  lastIp++;
  return `10.${(lastIp >> 16) & 255}.${(lastIp >> 8) & 255}.${lastIp & 255}`;
};

/** Registers a user (a new one by default) from `ip` (a fresh address by default) and returns the answer. */
export function register(identity: Identity, body: Partial<{ email: string; password: string; name: string }> = {}, ip = freshIp()) {
  return identity.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { email: uniqueEmail(), password: 'correct horse battery', name: 'Ada Lovelace', ...body },
    remoteAddress: ip,
  });
}

/** Signs in from `ip` (a fresh address by default). */
export function login(identity: Identity, email: string, password: string, ip = freshIp()) {
  return identity.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress: ip });
}

/** Moves every throttle counter `seconds` into the past, as if that much time had passed (the throttle reads the database clock). */
export async function passTime(db: Database, seconds: number) {
  await db.query(
    `UPDATE throttle SET last_attempt_at = last_attempt_at - $1::integer * interval '1 second', expires_at = expires_at - $1::integer * interval '1 second'`,
    [seconds],
  );
}

/** GET /users/me with `token` as the bearer token, if any. */
export function me(identity: Identity, token?: string) {
  return identity.app.inject({ method: 'GET', url: '/users/me', headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** Opens a database of `kind` and builds identity on it for the enclosing suite; both are closed after it. */
export function useIdentity(kind: DatabaseKind): { readonly database: TestDatabase; readonly identity: Identity } {
  const fixture = {} as { database: TestDatabase; identity: Identity };
  beforeAll(async () => {
    fixture.database = await kind.open('identity');
    fixture.identity = await startIdentity(fixture.database.db);
  });
  afterAll(async () => {
    await fixture.identity?.close();
    await fixture.database?.close();
  });
  return fixture;
}
