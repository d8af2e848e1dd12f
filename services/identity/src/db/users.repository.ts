import type { Queryable } from '@emporium/kit';
import type { User } from '@emporium/contracts/identity';

/** A user to create; the email must already be lowercased. */
export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  roles: User['roles'];
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  roles: User['roles'];
  created_at: Date | string;
}

const COLUMNS = 'id, email, name, roles, created_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: row.roles,
  createdAt: new Date(row.created_at).toISOString(),
});

/** Creates a user; undefined when the email is already taken (checked by the unique index, so races are safe). */
export async function insertUser(q: Queryable, user: NewUser): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(
    `INSERT INTO users (email, name, password_hash, roles) VALUES ($1, $2, $3, $4::text[])
     ON CONFLICT (email) DO NOTHING
     RETURNING ${COLUMNS}`,
    [user.email, user.name, user.passwordHash, user.roles],
  );
  return rows[0] && toUser(rows[0]);
}

/** A user by id; undefined when there is none (or the id is not one we could have issued). */
export async function findUserById(q: Queryable, id: string): Promise<User | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] && toUser(rows[0]);
}

/** A user's credentials, for signing in. */
export interface Credentials {
  user: User;
  passwordHash: string;
  /** A disabled account never signs in. */
  disabled: boolean;
}

/** A user with the password hash, by lowercased email, for signing in. */
export async function findCredentials(q: Queryable, email: string): Promise<Credentials | undefined> {
  const { rows } = await q.query<UserRow & { password_hash: string; disabled: boolean }>(
    `SELECT ${COLUMNS}, password_hash, disabled_at IS NOT NULL AS disabled FROM users WHERE email = $1`,
    [email],
  );
  return rows[0] && { user: toUser(rows[0]), passwordHash: rows[0].password_hash, disabled: rows[0].disabled };
}

/** Whether an account holds the lowercased `email`. */
export async function emailTaken(q: Queryable, email: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM users WHERE email = $1', [email]);
  return rows.length > 0;
}

/** Disables an account: it can no longer sign in. */
export async function disableUser(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE users SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL', [id]);
}

/** Replaces a password hash, e.g. after the hashing parameters changed. */
export async function updatePasswordHash(q: Queryable, id: string, passwordHash: string): Promise<void> {
  await q.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
}
