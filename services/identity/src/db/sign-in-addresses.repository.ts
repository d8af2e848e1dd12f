import type { Queryable } from '@emporium/kit';

/** Whether the account with `email` signed in (or registered) from `address` within the last `days` days. */
export async function isKnownAddress(q: Queryable, email: string, address: string, days: number): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM sign_in_addresses a JOIN users u ON u.id = a.user_id
     WHERE u.email = $1 AND a.address = $2 AND a.last_signed_in_at > now() - $3::integer * interval '1 day'`,
    [email, address, days],
  );
  return rows.length > 0;
}

/** Records that `userId` signed in from `address` just now. */
export async function rememberAddress(q: Queryable, userId: string, address: string): Promise<void> {
  await q.query(
    `INSERT INTO sign_in_addresses (user_id, address, last_signed_in_at) VALUES ($1, $2, now())
     ON CONFLICT (user_id, address) DO UPDATE SET last_signed_in_at = now()`,
    [userId, address],
  );
}

/** Forgets the addresses not used to sign in for `days` days; returns how many. */
export async function forgetOldAddresses(q: Queryable, days: number): Promise<number> {
  const { rowCount } = await q.query(`DELETE FROM sign_in_addresses WHERE last_signed_in_at <= now() - $1::integer * interval '1 day'`, [days]);
  return rowCount;
}
