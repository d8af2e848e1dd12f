/** The result of one statement. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Anything that runs SQL: the database itself, or a transaction inside it. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A transaction in progress. */
export interface Transaction extends Queryable {
  /** Runs `fn` once the transaction has committed (never if it rolls back). */
  afterCommit(fn: () => void): void;
}

/**
 * A service's database, whatever drives it. Repositories take a `Queryable`, so the same code
 * runs on a plain connection or inside `transaction`.
 */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** The schema that holds this service's tables. */
  readonly schema: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Answers quickly when the database is reachable; throws otherwise. */
  ping(): Promise<void>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, from any process, until the returned function
   * is called. Absent where every writer shares the process (PGlite).
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Takes the lock `key` if it is free, on a connection of its own that keeps it: the lock lasts
   * as long as that connection, so a process that crashes frees it at once. Undefined when
   * another holder has it. (PGlite's data directory has one process: its locks live in memory.)
   */
  holdLock(key: string): Promise<HeldLock | undefined>;
  close(): Promise<void>;
}

/** A lock held by a connection; `held` turns false if that connection is lost. */
export interface HeldLock {
  readonly held: boolean;
  release(): Promise<void>;
}

/** Postgres's error code for a unique violation, the one repositories most often translate. */
export const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE of a driver error, from either adapter. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Quotes an identifier; schema names come from code, but are still never spliced raw. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid identifier: ${name}`);
  return `"${name}"`;
}

/** Collects after-commit callbacks for one transaction and runs them once it has committed. */
export function commitHooks(): { afterCommit(fn: () => void): void; run(): void } {
  const hooks: Array<() => void> = [];
  return {
    afterCommit: (fn) => void hooks.push(fn),
    run: () => {
      for (const fn of hooks) fn();
    },
  };
}
