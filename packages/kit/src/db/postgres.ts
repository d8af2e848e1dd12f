import pg from 'pg';
import { commitHooks, quoteIdent, sqlState, type Database, type HeldLock, type Transaction } from './types.ts';

const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The database name a service owns in distributed mode. */
export function serviceDatabaseName(service: string, prefix = 'emporium'): string {
  return `${prefix}_${service.replaceAll('-', '_')}`;
}

/** Creates the service's database when it is missing; concurrent replicas may race, and that is fine. */
async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((err: unknown) => {
        // 42P04: created by a replica in the meantime; 23505: the same race seen through pg_database's index.
        if (sqlState(err) !== '42P04' && sqlState(err) !== '23505') throw err;
      });
    }
  } finally {
    await admin.end();
  }
}

/** Options for a service's PostgreSQL pool. */
export interface PostgresOptions {
  /** The server URL from DATABASE_URL; its database part names the maintenance database. */
  url: string;
  /** The database to use; created when missing. Defaults to `emporium_<schema>`. */
  database?: string;
  /** The schema for this service's tables. */
  schema: string;
  poolSize?: number;
}

/** Opens a pool on the service's own database, creating the database and schema when missing. */
export async function openPostgres(opts: PostgresOptions): Promise<Database> {
  const database = opts.database ?? serviceDatabaseName(opts.schema);
  await ensureDatabase(opts.url, database);
  const url = new URL(opts.url);
  url.pathname = `/${database}`;
  const schema = quoteIdent(opts.schema);
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: opts.poolSize ?? 10,
    options: `-c search_path=${schema},public`,
    types,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Replicas starting together can race even on IF NOT EXISTS: the loser sees a unique violation.
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((err: unknown) => {
    if (sqlState(err) !== '23505' && sqlState(err) !== '42P06') throw err;
  });
  const norm = <T>(r: pg.QueryResult): { rows: T[]; rowCount: number } => ({ rows: r.rows as T[], rowCount: r.rowCount ?? 0 });
  return {
    kind: 'postgres',
    schema: opts.schema,
    query: async <T>(sql: string, params?: readonly unknown[]) => norm<T>(await pool.query(sql, params as unknown[])),
    exec: async (sql: string) => void (await pool.query(sql)),
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const hooks = commitHooks();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <R>(sql: string, params?: readonly unknown[]) => norm<R>(await client.query(sql, params as unknown[])),
          exec: async (sql: string) => void (await client.query(sql)),
          afterCommit: hooks.afterCommit,
        });
        await client.query('COMMIT');
        hooks.run();
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    ping: async () => void (await pool.query('SELECT 1')),
    listen: (channel, onNotify) => listenOn(url.toString(), quoteIdent(channel), onNotify),
    holdLock: (key) => holdSessionLock(url.toString(), key),
    close: () => pool.end(),
  };
}

/**
 * LISTEN on a connection of its own, outside the pool. A lost connection is replaced after a
 * second; until then the caller's own fallback (the relay's poll) covers the gap.
 */
async function listenOn(connectionString: string, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', () => onNotify());
    c.on('error', () => {
      if (stopped) return;
      void c.end().catch(() => {});
      retry = setTimeout(() => void open().catch(() => {}), 1_000);
    });
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    client = c;
    // Anything committed while not listening is found now.
    onNotify();
  };
  await open();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

/**
 * A session advisory lock on a connection outside the pool. PostgreSQL releases it when the
 * connection ends, however the process ends; the holder learns of a lost connection through
 * `held`.
 */
async function holdSessionLock(connectionString: string, key: string): Promise<HeldLock | undefined> {
  const client = new pg.Client({ connectionString });
  let held = false;
  const lost = () => {
    held = false;
  };
  client.on('error', lost);
  client.on('end', lost);
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [key]);
    held = rows[0]?.locked === true;
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  if (!held) {
    await client.end().catch(() => {});
    return undefined;
  }
  return {
    get held() {
      return held;
    },
    release: async () => {
      held = false;
      await client.end().catch(() => {});
    },
  };
}
