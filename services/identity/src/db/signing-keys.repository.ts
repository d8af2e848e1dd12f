import type { Queryable } from '@emporium/kit';
import type { SigningJwk } from '../domain/signing-key.ts';

const SLOT = 'primary';

/**
 * Stores `candidate` as the signing key unless one is already stored, and returns the stored
 * one. Replicas starting together all offer a key; the first insert wins and all read it back.
 */
export async function keepSigningKey(q: Queryable, candidate: SigningJwk): Promise<{ jwk: SigningJwk; created: boolean }> {
  const inserted = await q.query(
    'INSERT INTO signing_keys (slot, kid, private_jwk) VALUES ($1, $2, $3::jsonb) ON CONFLICT (slot) DO NOTHING',
    [SLOT, candidate.kid, JSON.stringify(candidate)],
  );
  const { rows } = await q.query<{ private_jwk: SigningJwk | string }>('SELECT private_jwk FROM signing_keys WHERE slot = $1', [SLOT]);
  const stored = rows[0]?.private_jwk;
  if (!stored) throw new Error('the signing key vanished right after it was stored');
  return { jwk: typeof stored === 'string' ? (JSON.parse(stored) as SigningJwk) : stored, created: inserted.rowCount === 1 };
}
