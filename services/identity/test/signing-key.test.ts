import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@emporium/kit';
import { generateSigningJwk, loadSigningKey, parseSigningJwk } from '../src/domain/signing-key.ts';
import { signAccessToken } from '../src/domain/tokens.ts';

describe('signing key', () => {
  it('accepts a private Ed25519 JWK with a kid, and rejects anything else', async () => {
    const jwk = await generateSigningJwk();
    expect(parseSigningJwk(JSON.stringify(jwk))).toEqual(jwk);
    const other = await generateSigningJwk();
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ ...jwk, kid: undefined }),
      JSON.stringify({ ...jwk, kid: ' ' }),
      JSON.stringify({ ...jwk, d: undefined }),
      JSON.stringify({ ...jwk, crv: 'X25519' }),
      JSON.stringify({ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }),
      JSON.stringify({ ...jwk, x: other.x }), // a public half that does not belong to the private one
    ]) {
      expect(parseSigningJwk(bad), bad).toBeUndefined();
    }
  });

  it('signs tokens with the claims every service verifies, checkable with the published key alone', async () => {
    const key = loadSigningKey(await generateSigningJwk());
    expect(key.publicJwk).not.toHaveProperty('d');
    const token = await signAccessToken(key, { id: 'u-1', email: 'ada@example.com', roles: ['customer'] }, 900);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: key.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
    expect(payload).toMatchObject({ sub: 'u-1', email: 'ada@example.com', roles: ['customer'] });
    expect(payload.exp! - payload.iat!).toBe(900);
  });
});
