import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, TokenVerifier, type Caller } from '@emporium/kit';

/** A signing key made for one test file, with a verifier that trusts it. */
export interface TestTokens {
  verifier: TokenVerifier;
  jwks: { keys: JWK[] };
  /** Signs an access token for `caller` (a new customer by default). */
  sign(caller?: Partial<Caller>, opts?: { expiresIn?: string | number }): Promise<string>;
  /** A bearer Authorization header for `caller`. */
  auth(caller?: Partial<Caller>): Promise<{ authorization: string }>;
}

/** Makes an Ed25519 key and signs tokens exactly as the identity service does. */
export async function testTokens(): Promise<TestTokens> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  const verifier = new TokenVerifier({ jwks: createLocalJWKSet(jwks), cacheSize: 0 });
  const sign = async (caller: Partial<Caller> = {}, opts: { expiresIn?: string | number } = {}) => {
    const id = caller.id ?? randomUUID();
    return new SignJWT({ email: caller.email ?? `${id}@test.emporium.dev`, roles: caller.roles ?? ['customer'] })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject(id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '15m')
      .sign(privateKey);
  };
  return { verifier, jwks, sign, auth: async (caller) => ({ authorization: `Bearer ${await sign(caller)}` }) };
}
