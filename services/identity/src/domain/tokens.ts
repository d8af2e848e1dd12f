import { SignJWT } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@emporium/kit';
import type { SigningKey } from './signing-key.ts';

/** Who an access token speaks for. */
export interface TokenSubject {
  id: string;
  email: string;
  roles: string[];
}

/**
 * Signs an access token: EdDSA, `kid` in the header; claims iss, aud, sub, email, roles, iat, exp.
 * These are the claims every service's TokenVerifier expects.
 */
export function signAccessToken(key: SigningKey, subject: TokenSubject, ttlSeconds: number, now: Date = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ email: subject.email, roles: subject.roles })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject(subject.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key.privateKey);
}
