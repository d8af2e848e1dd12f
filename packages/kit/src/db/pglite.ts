import { PGlite, type Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { lockDataDir } from './lock.ts';
import { Mutex } from './mutex.ts';
import { commitHooks, quoteIdent, type Database, type HeldLock, type Queryable, type QueryResult, type Transaction } from './types.ts';

const INT8 = 20;
const parsers = { [INT8]: (v: string) => Number(v) };

/**
 * One embedded PostgreSQL (PGlite) shared by every service of the process. Each service gets
 * its own schema through `database(name)`. PGlite has a single connection, so all work is
 * serialized by one mutex, and the search_path is switched only when the schema changes.
 */
export class PGliteHost {
  private readonly mutex = new Mutex();
  /** Set while a transaction holds the connection, to catch a query that bypasses its `tx`. */
  private readonly inTransaction = new AsyncLocalStorage<true>();
  private currentSchema: string | undefined;
  private closed = false;
  /** Locks taken through `holdLock`: the data directory has one process, so they live here. */
  private readonly locks = new Set<string>();

  private constructor(
    readonly pg: PGlite,
    private readonly release: () => void,
  ) {}

  /** Opens (or creates) the data directory, locking it against other processes. */
  static async open(dataDir: string): Promise<PGliteHost> {
    const release = lockDataDir(dataDir);
    try {
      const pg = await PGlite.create(join(dataDir, 'pglite'), { parsers });
      return new PGliteHost(pg, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** An in-memory instance, optionally restored from a dump (used by tests). */
  static async memory(loadDataDir?: Blob | File): Promise<PGliteHost> {
    const pg = await PGlite.create(loadDataDir ? { loadDataDir, parsers } : { parsers });
    return new PGliteHost(pg, () => {});
  }

  /** A service's view: its own schema, created if missing. */
  async database(schema: string): Promise<Database> {
    const quoted = quoteIdent(schema);
    await this.mutex.run(() => this.pg.exec(`CREATE SCHEMA IF NOT EXISTS ${quoted}`));
    const use = async () => {
      if (this.closed) throw Object.assign(new Error('the database is closed'), { code: '57P01' });
      if (this.currentSchema !== schema) {
        await this.pg.exec(`SET search_path TO ${quoted}, public`);
        this.currentSchema = schema;
      }
    };
    const run = async <T>(q: PGlite | PGliteTransaction, sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
      const r = await q.query<T>(sql, params as unknown[] | undefined);
      // PGlite reports no affected rows for a SELECT; pg counts the rows returned, and so do we.
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    };
    const within = (q: PGlite | PGliteTransaction): Queryable => ({
      query: <R>(sql: string, params?: readonly unknown[]) => run<R>(q, sql, params),
      exec: async (sql: string) => void (await q.exec(sql)),
    });
    const locked = <T>(fn: () => Promise<T>) => {
      // Waiting for the mutex from inside the transaction that holds it would hang forever.
      if (this.inTransaction.getStore()) {
        return Promise.reject(new Error('A query was sent on the database inside its own transaction: use the transaction handle (tx) instead.'));
      }
      return this.mutex.run(async () => {
        await use();
        return fn();
      });
    };
    return {
      kind: 'pglite',
      schema,
      query: <T>(sql: string, params?: readonly unknown[]) => locked(() => run<T>(this.pg, sql, params)),
      exec: (sql: string) => locked(() => within(this.pg).exec(sql)),
      transaction: async <T>(fn: (tx: Transaction) => Promise<T>) => {
        const hooks = commitHooks();
        const result = await locked(() => this.pg.transaction((tx) => this.inTransaction.run(true, () => fn({ ...within(tx), afterCommit: hooks.afterCommit }))));
        hooks.run();
        return result;
      },
      ping: () => this.mutex.run(async () => void (await this.pg.query('SELECT 1'))),
      holdLock: async (key) => this.holdLock(key),
      // The host is shared; closing a service's view closes nothing. The host owner closes it.
      close: async () => {},
    };
  }

  /** The data directory belongs to this process alone, so its locks are held in memory. */
  private holdLock(key: string): HeldLock | undefined {
    if (this.locks.has(key) || this.closed) return undefined;
    this.locks.add(key);
    let held = true;
    return {
      get held() {
        return held;
      },
      release: async () => {
        if (held) this.locks.delete(key);
        held = false;
      },
    };
  }

  /** A copy of the whole data directory, to seed fast in-memory instances. */
  dump(): Promise<Blob | File> {
    return this.mutex.run(() => this.pg.dumpDataDir('none'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.mutex.run(async () => {
      this.closed = true;
      await this.pg.close();
    });
    this.release();
  }
}
