import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createLogger } from '@emporium/kit';
import { describeOnDatabases, type TestDatabase } from '@emporium/testing';
import { DEV_ACCOUNTS } from '../src/domain/dev-accounts.ts';
import { generateSigningJwk } from '../src/domain/signing-key.ts';
import { login, me, register, startIdentity, type Identity } from './helpers.ts';

const jwksOf = async (identity: Identity) => (await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();

describeOnDatabases('identity service', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await kind.open('identity');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('creates the admin at first start, once, and keeps the signing key across restarts', async () => {
    // 1. First start: the admin can sign in and holds both roles.
    const first = await startIdentity(database.db);
    const signedIn = await login(first, 'admin@emporium.dev', 'emporium-admin');
    expect(signedIn.statusCode).toBe(200);
    const admin = signedIn.json().user;
    expect(admin.roles).toEqual(['customer', 'admin']);
    const { keys } = await jwksOf(first);
    await first.close();

    // 2. Restart on the same database: the same admin account, the same key, and old tokens still work.
    const second = await startIdentity(database.db);
    try {
      expect((await login(second, 'ADMIN@emporium.dev', 'emporium-admin')).json().user.id).toBe(admin.id);
      expect((await jwksOf(second)).keys).toEqual(keys);
      expect((await me(second, signedIn.json().accessToken)).json()).toMatchObject({ id: admin.id, roles: ['customer', 'admin'] });
      expect((await register(second, { email: 'admin@emporium.dev' })).statusCode).toBe(409);
    } finally {
      await second.close();
    }
  });

  it('takes the admin account from ADMIN_EMAIL and ADMIN_PASSWORD', async () => {
    const identity = await startIdentity(database.db, { ADMIN_EMAIL: 'Boss@Shop.test', ADMIN_PASSWORD: 'a much better secret' });
    try {
      const res = await login(identity, 'boss@shop.test', 'a much better secret');
      expect(res.statusCode).toBe(200);
      expect(res.json().user).toMatchObject({ email: 'boss@shop.test', roles: ['customer', 'admin'] });
    } finally {
      await identity.close();
    }
  });

  it('gives replicas that start together one key and one admin', async () => {
    const fresh = await kind.open('identity');
    const [a, b] = await Promise.all([startIdentity(fresh.db), startIdentity(fresh.db)]);
    try {
      expect((await jwksOf(a)).keys).toEqual((await jwksOf(b)).keys);
      const token = (await login(a, 'admin@emporium.dev', 'emporium-admin')).json().accessToken;
      expect((await me(b, token)).json().roles).toEqual(['customer', 'admin']);
      const { rows } = await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      expect(rows[0]!.n).toBe(1);
    } finally {
      await a.close();
      await b.close();
      await fresh.close();
    }
  });

  it('refuses to start in production without IDENTITY_SIGNING_KEY, naming it', async () => {
    const start = startIdentity(database.db, { NODE_ENV: 'production', ADMIN_PASSWORD: 'a production secret' });
    await expect(start).rejects.toThrow(/IDENTITY_SIGNING_KEY/);
  });

  it('refuses the development admin password, and a test-only password cost, in production', async () => {
    const jwk = JSON.stringify(await generateSigningJwk());
    await expect(startIdentity(database.db, { NODE_ENV: 'production', IDENTITY_SIGNING_KEY: jwk })).rejects.toThrow(/ADMIN_PASSWORD/);
    await expect(startIdentity(database.db, { NODE_ENV: 'production', IDENTITY_SIGNING_KEY: jwk, ADMIN_PASSWORD: 'emporium-admin' })).rejects.toThrow(/ADMIN_PASSWORD/);
    await expect(startIdentity(database.db, { NODE_ENV: 'production', IDENTITY_SIGNING_KEY: jwk, ADMIN_PASSWORD: 'a production secret', PASSWORD_SCRYPT_LOG2N: '10' })).rejects.toThrow(/PASSWORD_SCRYPT_LOG2N/);
  });

  it('starts in production with a configured key and publishes it', async () => {
    const jwk = await generateSigningJwk();
    const identity = await startIdentity(database.db, { NODE_ENV: 'production', IDENTITY_SIGNING_KEY: JSON.stringify(jwk), ADMIN_PASSWORD: 'a production secret' });
    try {
      expect((await jwksOf(identity)).keys.map((k: { kid: string }) => k.kid)).toEqual([jwk.kid]);
    } finally {
      await identity.close();
    }
  });

  it('stops the development accounts signing in with their passwords in production, on data first used in development, and says so', async () => {
    const { admin, shopper } = DEV_ACCOUNTS;
    const data = await kind.open('identity');
    try {
      // 1. A development start: identity creates the admin, and the launcher seeds the demo shopper.
      const dev = await startIdentity(data.db);
      expect((await register(dev, shopper)).statusCode).toBe(201);
      await dev.close();

      // 2. A production start on the same data, with its own admin password.
      const log = createLogger('identity', 'silent');
      const warn = vi.spyOn(log, 'warn');
      const production = { NODE_ENV: 'production', IDENTITY_SIGNING_KEY: JSON.stringify(await generateSigningJwk()), ADMIN_PASSWORD: 'a production secret' };
      const prod = await startIdentity(data.db, production, log);
      try {
        expect((await login(prod, admin.email, admin.password)).statusCode).toBe(401);
        expect((await login(prod, shopper.email, shopper.password)).statusCode).toBe(401);
        expect((await login(prod, admin.email, 'a production secret')).json().user.roles).toEqual(['customer', 'admin']);
        const warnings = warn.mock.calls.map((call) => String(call[1]));
        expect(warnings).toContainEqual(expect.stringMatching(/admin@emporium\.dev still had its development password: it now signs in with ADMIN_PASSWORD only/));
        expect(warnings).toContainEqual(expect.stringMatching(/shopper@emporium\.dev still had its development password: it is disabled and can no longer sign in/));
      } finally {
        await prod.close();
      }
    } finally {
      await data.close();
    }
  });

  it('refuses a signing key that is not a private Ed25519 JWK, naming the setting', async () => {
    for (const bad of ['{"kty":"oct","k":"c2VjcmV0","kid":"x"}', 'not json']) {
      await expect(startIdentity(database.db, { IDENTITY_SIGNING_KEY: bad })).rejects.toThrow(/IDENTITY_SIGNING_KEY/);
    }
  });

  it('documents every route with its request and response schemas in /openapi.json', async () => {
    const identity = await startIdentity(database.db);
    try {
      const { paths } = (await identity.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      // The service's own routes, and the kit's dead-letter and outbox operations that every service with events has.
      expect(Object.keys(paths).sort()).toEqual(['/.well-known/jwks.json', '/auth/login', '/auth/register', '/ops/dead-letters', '/ops/dead-letters/{id}/replay', '/ops/outbox', '/ops/traces', '/ops/traces/{traceId}', '/users/me']);
      expect(paths['/auth/register'].post.requestBody.content['application/json'].schema.required).toEqual(['email', 'password', 'name']);
      expect(Object.keys(paths['/auth/login'].post.responses)).toEqual(['200', '400', '401', '429']);
      expect(paths['/users/me'].get.security).toEqual([{ bearer: [] }]);
    } finally {
      await identity.close();
    }
  });
});
