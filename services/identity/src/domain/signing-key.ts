import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { PublicJwk } from '@emporium/contracts/identity';

/** A private Ed25519 key as a JWK, with its key id. */
export interface SigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid: string;
}

/** A key ready to sign with, and the public half that the JWKS publishes. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function importPrivate(d: string, x: string): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' });
}

/**
 * Parses the IDENTITY_SIGNING_KEY setting: a private Ed25519 JWK as JSON with a non-empty `kid`.
 * Returns undefined when it is not one, or when its `x` does not belong to its `d` (such a key
 * would sign tokens that nobody could verify).
 */
export function parseSigningJwk(raw: string): SigningJwk | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.kty !== 'OKP' || value.crv !== 'Ed25519') return undefined;
  const { d, x, kid } = value;
  if (typeof d !== 'string' || typeof x !== 'string' || typeof kid !== 'string' || kid.trim() === '') return undefined;
  try {
    const derived = createPublicKey(importPrivate(d, x)).export({ format: 'jwk' });
    return derived.x === x ? { kty: 'OKP', crv: 'Ed25519', d, x, kid } : undefined;
  } catch {
    return undefined;
  }
}

/** Makes a new Ed25519 key; its kid is the RFC 7638 thumbprint. */
export async function generateSigningJwk(): Promise<SigningJwk> {
  const { d, x } = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  if (!d || !x) throw new Error('Ed25519 key export lacks d or x');
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });
  return { kty: 'OKP', crv: 'Ed25519', d, x, kid };
}

/** Turns a JWK into a key to sign with and its public JWK. */
export function loadSigningKey(jwk: SigningJwk): SigningKey {
  return {
    kid: jwk.kid,
    privateKey: importPrivate(jwk.d, jwk.x),
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' },
  };
}
