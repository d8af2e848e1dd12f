import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteIdent, type Database } from './types.ts';

/** One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNN_name.sql` files from a directory, in version order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((file) => {
    const match = /^(\d+)_(.+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file ${file} must be named NNN_name.sql`);
    return { version: Number(match[1]), name: match[2]!, file };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new Error(`two migrations share version ${migrations[i]!.version} in ${dir}`);
  }
  return Promise.all(migrations.map(async (m) => ({ version: m.version, name: m.name, sql: await readFile(join(dir, m.file), 'utf8') })));
}

/**
 * Applies the migrations that are not yet recorded in `table`, in one transaction. An advisory lock keyed
 * by the schema makes replicas that start together wait for each other instead of colliding.
 * Returns the versions applied.
 */
export async function migrate(db: Database, migrations: readonly Migration[], table = 'schema_migrations'): Promise<number[]> {
  const record = quoteIdent(table);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`emporium.migrate.${db.schema}`]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${record} (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await tx.query<{ version: number }>(`SELECT version FROM ${record}`)).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query(`INSERT INTO ${record} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** The versions of `migrations` not yet recorded in `table` (all of them on a database never migrated). */
export async function pendingMigrations(db: Database, migrations: readonly Migration[], table = 'schema_migrations'): Promise<number[]> {
  const found = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${quoteIdent(db.schema)}.${quoteIdent(table)}`]);
  if (!found.rows[0]?.present) return migrations.map((m) => m.version);
  const done = new Set((await db.query<{ version: number }>(`SELECT version FROM ${quoteIdent(table)}`)).rows.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
}
