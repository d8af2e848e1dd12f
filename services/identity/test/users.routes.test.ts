import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases, testTokens, type TestDatabase } from '@emporium/testing';
import { generateSigningJwk, loadSigningKey, type SigningKey } from '../src/domain/signing-key.ts';
import { signAccessToken } from '../src/domain/tokens.ts';
import { login, me, register, startIdentity, type Identity } from './helpers.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describeOnDatabases('users routes', (kind) => {
  let database: TestDatabase;
  let identity: Identity;
  let key: SigningKey;

  beforeAll(async () => {
    database = await kind.open('identity');
    // The test holds the service's signing key, so it can forge what an attacker could not.
    const jwk = await generateSigningJwk();
    key = loadSigningKey(jwk);
    identity = await startIdentity(database.db, { IDENTITY_SIGNING_KEY: JSON.stringify(jwk) });
  });
  afterAll(async () => {
    await identity?.close();
    await database?.close();
  });

  const expectUnauthenticated = (res: Awaited<ReturnType<typeof me>>) => {
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  };

  it('serves the JWKS with the configured key, cacheable for five minutes', async () => {
    const res = await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.json()).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x, kid: key.kid, alg: 'EdDSA', use: 'sig' }] });
  });

  it('returns the signed-in user their profile with roles', async () => {
    const { user, accessToken } = (await register(identity, { name: 'Grace Hopper' })).json();
    const res = await me(identity, accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: user.id, email: user.email, name: 'Grace Hopper', roles: ['customer'], createdAt: user.createdAt });
  });

  it('asks for a token when none is sent, or the header is not a bearer token', async () => {
    expectUnauthenticated(await me(identity));
    expectUnauthenticated(await identity.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }));
    expectUnauthenticated(await me(identity, 'x'.repeat(5000)));
  });

  it('refuses a token whose claims were changed after signing', async () => {
    const { accessToken } = (await register(identity)).json();
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = [header, b64url({ ...claims, roles: ['customer', 'admin'] }), signature].join('.');
    expectUnauthenticated(await me(identity, forged));
  });

  it('refuses an unsigned token (alg "none")', async () => {
    const { user } = (await register(identity)).json();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, email: user.email, roles: ['admin'], iss: 'emporium-identity', aud: 'emporium', iat: now, exp: now + 600 };
    expectUnauthenticated(await me(identity, `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`));
    expectUnauthenticated(await me(identity, `${b64url({ alg: 'none', kid: key.kid })}.${b64url(claims)}.`));
  });

  it('refuses an expired token and says so', async () => {
    const { user } = (await register(identity)).json();
    const expired = await signAccessToken(key, user, 60, new Date(Date.now() - 3_600_000));
    const res = await me(identity, expired);
    expectUnauthenticated(res);
    expect(res.json().detail).toMatch(/expired/i);
  });

  it('refuses a token signed by another key', async () => {
    const { user } = (await register(identity)).json();
    const stranger = await testTokens();
    expectUnauthenticated(await me(identity, await stranger.sign({ id: user.id, email: user.email, roles: ['admin'] })));
  });

  it('answers 404 when the account behind a valid token no longer exists', async () => {
    const { user, accessToken } = (await register(identity)).json();
    await database.db.query('DELETE FROM users WHERE id = $1', [user.id]);
    const res = await me(identity, accessToken);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'IDENTITY_USER_NOT_FOUND' });
    expect((await login(identity, user.email, 'correct horse battery')).statusCode).toBe(401);
  });
});
