import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters; see docs/decisions/0002-password-hashing.md. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** log2 of N in the parameters new hashes use in production. */
export const PRODUCTION_LOG2_N = 15;

/** The parameters for a cost of 2^`log2N` (OWASP at 15: N=2^15, r=8, p=3, about 32 MiB per hash). */
export function scryptParams(log2N: number): ScryptParams {
  return { N: 2 ** log2N, r: 8, p: 3 };
}

/** The parameters new hashes use. */
export const CURRENT_PARAMS: ScryptParams = scryptParams(PRODUCTION_LOG2_N);

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Bounds for parameters read back from storage, so a damaged row cannot ask for gigabytes.
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, keyLength: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes plus a little; Node's default maxmem (32 MiB) is just short of N=2^15, r=8.
  const maxmem = 2 * 128 * N * r;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0 && N <= 2 ** MAX_LOG2_N;
  if (!powerOfTwo || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params: { N, r, p }, salt, hash };
}

/** Whether `password` matches `stored`. A malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(candidate, parsed.hash);
}

/** Whether `stored` was made with other parameters than `params`, so it should be replaced at the next sign-in. */
export function needsRehash(stored: string, params: ScryptParams = CURRENT_PARAMS): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

const dummies = new Map<number, Promise<string>>();
/** A hash of a random password: checking an unknown email against it costs what a real check with `params` costs. */
export function dummyHash(params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  let dummy = dummies.get(params.N);
  if (!dummy) {
    dummy = hashPassword(randomBytes(24).toString('base64'), params).catch((err: unknown) => {
      dummies.delete(params.N);
      throw err;
    });
    dummies.set(params.N, dummy);
  }
  return dummy;
}
