import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from './errors.ts';

/** Who is calling, as proven by a verified access token. */
export interface Caller {
  id: string;
  email: string;
  roles: string[];
}

/** The issuer and audience that every Emporium access token carries. */
export const TOKEN_ISSUER = 'emporium-identity';
export const TOKEN_AUDIENCE = 'emporium';

/** Settings for a verifier: the JWKS to trust. */
export interface VerifierOptions {
  /** The identity service's JWKS URL, or a key getter (tests, the identity service itself). */
  jwks: string | JWTVerifyGetKey;
  /** Verified tokens kept to skip repeated signature checks; 0 turns the cache off. */
  cacheSize?: number;
}

/** jose's codes for a JWKS that could not be had (ERR_JOSE_GENERIC: a non-200 or non-JSON answer). */
const KEYS_UNAVAILABLE = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const unauthenticated = (detail: string) =>
  errors.UNAUTHENTICATED(detail, { headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${detail}"` } });

/**
 * Verifies access tokens against the identity service's public keys (EdDSA or RS256 only;
 * `alg: none` and HMAC are refused). Keys are fetched once and refreshed when an unknown key id
 * appears. A small cache remembers tokens already verified until they expire.
 */
export class TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;
  private readonly cache = new Map<string, { caller: Caller; exp: number }>();
  private readonly cacheSize: number;

  constructor(opts: VerifierOptions) {
    this.getKey = typeof opts.jwks === 'string' ? createRemoteJWKSet(new URL(opts.jwks), { cooldownDuration: 5_000, timeoutDuration: 3_000 }) : opts.jwks;
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  /** Returns the caller, or throws a 401 AppError that says what is wrong with the token. */
  async verify(token: string): Promise<Caller> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.exp > now) return hit.caller;
    try {
      const { payload } = await jwtVerify(token, this.getKey, { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithms: ['EdDSA', 'RS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.email !== 'string' || !Array.isArray(payload.roles)) {
        throw unauthenticated('The token lacks the subject, email or roles claims.');
      }
      // Services key rows by the subject; one that is not a UUID must not reach their queries.
      if (!UUID.test(payload.sub)) throw unauthenticated('The token subject is not a user id.');
      const caller: Caller = { id: payload.sub, email: payload.email, roles: payload.roles.filter((r): r is string => typeof r === 'string') };
      if (this.cacheSize > 0) {
        if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(token, { caller, exp: payload.exp ?? now + 60 });
      }
      return caller;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired.');
      // A key set that timed out, answered non-200 or was not a key set says nothing about the token.
      if (err instanceof joseErrors.JOSEError && !KEYS_UNAVAILABLE.has(err.code)) throw unauthenticated('The token is not valid.');
      throw errors.UPSTREAM_UNAVAILABLE('The signing keys could not be fetched.', { cause: err, headers: { 'retry-after': '1' } });
    }
  }

  /** The bearer token of a request, or undefined when it carries none. */
  static bearer(authorization: string | undefined): string | undefined {
    if (!authorization) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    return match[1];
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `requireUser` and `requireRole`. */
    caller?: Caller;
  }
}

/** An onRequest hook (it runs before validation) that admits any signed-in caller and sets `request.caller`. */
export function requireUser(verifier: TokenVerifier) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = TokenVerifier.bearer(request.headers.authorization);
    if (!token) throw errors.UNAUTHENTICATED('Sign in first: send "Authorization: Bearer <token>".', { headers: { 'www-authenticate': 'Bearer' } });
    request.caller = await verifier.verify(token);
  };
}

/** An onRequest hook that admits only callers holding `role`. */
export function requireRole(verifier: TokenVerifier, role: string) {
  const user = requireUser(verifier);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await user(request, reply);
    if (!request.caller!.roles.includes(role)) throw errors.FORBIDDEN(`This needs the ${role} role.`);
  };
}

/**
 * An onRequest hook for operators' endpoints (/metrics): admits the scrape token when one is
 * set, compared in constant time, or an admin's access token.
 */
export function requireOperator(scrapeToken: string | undefined, verifier: TokenVerifier) {
  const admin = requireRole(verifier, 'admin');
  const expected = scrapeToken ? createHash('sha256').update(scrapeToken).digest() : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = TokenVerifier.bearer(request.headers.authorization);
    if (expected && token && timingSafeEqual(createHash('sha256').update(token).digest(), expected)) return;
    await admin(request, reply);
  };
}

/** Whether `caller` may act on something owned by `ownerId`: the owner, or an admin. */
export function mayAccess(caller: Caller, ownerId: string): boolean {
  return caller.id === ownerId || caller.roles.includes('admin');
}
