import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, buildService, createLogger, mayAccess, requireRole, requireUser, TOKEN_AUDIENCE, TOKEN_ISSUER, TokenVerifier, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The 401 AppError that verification fails with. */
async function rejection(verifier: TokenVerifier, token: string): Promise<AppError> {
  const err = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function expectUnauthenticated(err: AppError) {
  expect(err.status).toBe(401);
  expect(err.code).toBe('UNAUTHENTICATED');
  expect(err.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
}

/** An Ed25519 key with its public JWKS, for signing tokens with jose directly. */
async function signingKey(kid: string): Promise<{ privateKey: CryptoKey; jwks: { keys: JWK[] } }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] } };
}

/** The user id the hand-built tokens carry. */
const USER_1 = '0b9d3a52-6a4e-4c1f-9d2e-5f7c8a1b2c3d';

const claims = (extra: Record<string, unknown> = {}) =>
  new SignJWT({ email: 'ann@example.com', roles: ['customer'], ...extra }).setSubject(USER_1).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setIssuedAt();

describe('TokenVerifier', () => {
  let tokens: TestTokens;
  beforeAll(async () => {
    tokens = await testTokens();
  });

  it('gives the caller of a valid token', async () => {
    const id = '7d1f7c55-0a8e-4b8e-9a43-1d6f1f5d6a10';
    const token = await tokens.sign({ id, email: 'ann@example.com', roles: ['customer', 'admin'] });
    expect(await tokens.verifier.verify(token)).toEqual({ id, email: 'ann@example.com', roles: ['customer', 'admin'] });
  });

  it('refuses a signed token whose subject is not a user id', async () => {
    const err = await rejection(tokens.verifier, await tokens.sign({ id: "1' OR '1'='1" }));
    expectUnauthenticated(err);
    expect(err.message).toBe('The token subject is not a user id.');
  });

  it('refuses an expired token with 401 and a www-authenticate header', async () => {
    const token = await tokens.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const err = await rejection(tokens.verifier, token);
    expectUnauthenticated(err);
    expect(err.message).toBe('The token has expired.');
    expect(err.headers['www-authenticate']).toContain('error_description="The token has expired."');
    expect(err.toProblem()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses a token signed by another key', async () => {
    const stranger = await testTokens();
    expectUnauthenticated(await rejection(tokens.verifier, await stranger.sign()));
  });

  it('refuses a token signed by another key under a trusted key id', async () => {
    const trusted = await signingKey('k1');
    const forger = await signingKey('k1');
    const verifier = new TokenVerifier({ jwks: createLocalJWKSet(trusted.jwks) });
    const forged = await claims().setExpirationTime('5m').setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(forger.privateKey);
    const err = await rejection(verifier, forged);
    expectUnauthenticated(err);
    expect(err.message).toBe('The token is not valid.');

    const genuine = await claims().setExpirationTime('5m').setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(trusted.privateKey);
    expect((await verifier.verify(genuine)).id).toBe(USER_1);
  });

  it('refuses a token whose payload was tampered with', async () => {
    const [header, payload, signature] = (await tokens.sign({ id: USER_1, roles: ['customer'] })).split('.');
    const claimsIn = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${b64url({ ...claimsIn, roles: ['admin'] })}.${signature}`;
    expectUnauthenticated(await rejection(tokens.verifier, tampered));
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: USER_1, email: 'ann@example.com', roles: ['admin'], iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now, exp: now + 600 };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    expectUnauthenticated(await rejection(tokens.verifier, unsigned));
  });

  it('refuses an HS256 token, even one signed with a key the attacker knows', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256');
    const token = await claims({ roles: ['admin'] }).setExpirationTime('5m').setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expectUnauthenticated(await rejection(tokens.verifier, token));
  });

  it('refuses a token for another issuer or audience', async () => {
    const key = await signingKey('k2');
    const verifier = new TokenVerifier({ jwks: createLocalJWKSet(key.jwks) });
    const base = () => new SignJWT({ email: 'ann@example.com', roles: ['customer'] }).setSubject(USER_1).setIssuedAt().setExpirationTime('5m').setProtectedHeader({ alg: 'EdDSA', kid: 'k2' });
    expectUnauthenticated(await rejection(verifier, await base().setIssuer('someone-else').setAudience(TOKEN_AUDIENCE).sign(key.privateKey)));
    expectUnauthenticated(await rejection(verifier, await base().setIssuer(TOKEN_ISSUER).setAudience('another-app').sign(key.privateKey)));
  });

  it('refuses a token without the roles claim', async () => {
    const key = await signingKey('k3');
    const verifier = new TokenVerifier({ jwks: createLocalJWKSet(key.jwks) });
    const token = await new SignJWT({ email: 'ann@example.com' })
      .setSubject(USER_1)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime('5m')
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k3' })
      .sign(key.privateKey);
    const err = await rejection(verifier, token);
    expectUnauthenticated(err);
    expect(err.message).toContain('roles');
  });

  it('refuses text that is not a JWT at all', async () => {
    expectUnauthenticated(await rejection(tokens.verifier, 'not-a-token'));
  });

  describe('with the JWKS of a real identity server', () => {
    let server: Server;
    let url: string;
    let answer: 'keys' | 'error' = 'keys';
    let key: Awaited<ReturnType<typeof signingKey>>;
    beforeAll(async () => {
      key = await signingKey('remote-1');
      server = createServer((_req, res) => {
        if (answer === 'error') {
          res.statusCode = 500;
          res.end('{"code":"INTERNAL"}');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(key.jwks));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const token = () => claims().setExpirationTime('5m').setProtectedHeader({ alg: 'EdDSA', kid: 'remote-1' }).sign(key.privateKey);

    it('fetches the keys and verifies a token', async () => {
      answer = 'keys';
      expect(await new TokenVerifier({ jwks: url }).verify(await token())).toEqual({ id: USER_1, email: 'ann@example.com', roles: ['customer'] });
    });

    it('answers 503, not 401, when the identity server fails to give its keys', async () => {
      // A valid token must not be called invalid because the keys could not be had: the
      // client should retry later, not throw its session away.
      answer = 'error';
      const err = await new TokenVerifier({ jwks: url }).verify(await token()).catch((e: unknown) => e as AppError);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
    });

    it('answers 503 when the identity server cannot be reached', async () => {
      const down = createServer();
      await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
      const port = (down.address() as AddressInfo).port;
      await new Promise((r) => down.close(r));
      const err = await new TokenVerifier({ jwks: `http://127.0.0.1:${port}/.well-known/jwks.json` }).verify(await token()).catch((e: unknown) => e as AppError);
      expect(err).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
      expect((err as AppError).headers['retry-after']).toBe('1');
    });
  });
});

describe('TokenVerifier.bearer', () => {
  it('takes the token from a Bearer header, in any case', () => {
    expect(TokenVerifier.bearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(TokenVerifier.bearer('bearer   abc.def.ghi')).toBe('abc.def.ghi');
  });

  it('gives undefined when there is no header', () => {
    expect(TokenVerifier.bearer(undefined)).toBeUndefined();
    expect(TokenVerifier.bearer('')).toBeUndefined();
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'abc.def.ghi', 'Token abc'])('refuses the malformed header %j with 401', (header) => {
    let thrown: unknown;
    try {
      TokenVerifier.bearer(header);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((thrown as AppError).headers['www-authenticate']).toContain('Bearer');
  });
});

describe('mayAccess', () => {
  it('admits the owner and admins only', () => {
    expect(mayAccess({ id: 'u1', email: 'a@b.c', roles: ['customer'] }, 'u1')).toBe(true);
    expect(mayAccess({ id: 'u2', email: 'b@b.c', roles: ['customer'] }, 'u1')).toBe(false);
    expect(mayAccess({ id: 'u3', email: 'c@b.c', roles: ['admin'] }, 'u1')).toBe(true);
  });
});

describe('requireUser and requireRole in a service', () => {
  let tokens: TestTokens;
  let service: BuiltService;
  beforeAll(async () => {
    tokens = await testTokens();
    service = await buildService(
      {
        name: 'guarded',
        description: 'A service with guarded routes',
        defaultPort: 0,
        setup(app, ctx) {
          app.get('/me', { preHandler: requireUser(ctx.verifier) }, async (request) => request.caller);
          app.get('/admin/report', { preHandler: requireRole(ctx.verifier, 'admin') }, async (request) => ({ for: request.caller!.id }));
        },
      },
      { source: {}, log: createLogger('guarded', 'silent'), verifier: tokens.verifier },
    );
  });
  afterAll(async () => {
    await service.close();
  });

  it('lets a signed-in caller in and sets request.caller', async () => {
    const id = 'b1c2d3e4-0000-4000-8000-000000000001';
    const res = await service.app.inject({ method: 'GET', url: '/me', headers: await tokens.auth({ id, email: 'u1@example.com', roles: ['customer'] }) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, email: 'u1@example.com', roles: ['customer'] });
  });

  it('asks an anonymous caller to sign in with 401 and www-authenticate', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token with 401 and says why in www-authenticate', async () => {
    const token = await tokens.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const res = await service.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses a malformed Authorization header with 401', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });

  it('gives 403 to a customer on an admin route', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/admin/report', headers: await tokens.auth({ roles: ['customer'] }) });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN', status: 403, detail: 'This needs the admin role.' });
  });

  it('lets an admin through', async () => {
    const boss = 'a0000000-0000-4000-8000-00000000b055';
    const res = await service.app.inject({ method: 'GET', url: '/admin/report', headers: await tokens.auth({ id: boss, roles: ['admin'] }) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ for: boss });
  });
});
