import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, it, inject } from 'vitest';
import { KIT_MIGRATIONS, loadMigrations, migrate, openPostgres, PGliteHost, type Database } from '@emporium/kit';

declare module 'vitest' {
  interface ProvidedContext {
    /** Path of a PGlite data-directory dump made once per run, so each test starts in about a second. */
    pgliteTemplate: string;
    /** Empty when PostgreSQL answered the global setup's probe, else the reason it did not. */
    postgresUnavailable: string;
  }
}

export { IN_CI, TEST_DATABASE_URL, TEST_NATS_URL, natsUnavailable, postgresUnavailable } from './servers.ts';
import { IN_CI, TEST_DATABASE_URL } from './servers.ts';

/** A database for one test file, with the function that disposes of it. */
export interface TestDatabase {
  db: Database;
  close(): Promise<void>;
}

/** One of the databases the suites run on. */
export interface DatabaseKind {
  name: 'pglite' | 'postgres';
  open(schema: string): Promise<TestDatabase>;
}

let template: Promise<Blob> | undefined;
async function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(inject('pgliteTemplate')).then((buf) => new Blob([buf]));
  return template;
}

export const pglite: DatabaseKind = {
  name: 'pglite',
  async open(schema) {
    const host = await PGliteHost.memory(await pgliteTemplate());
    return { db: await host.database(schema), close: () => host.close() };
  },
};

export const postgres: DatabaseKind = {
  name: 'postgres',
  async open(schema) {
    // Each test file gets a database of its own, dropped afterwards.
    const database = `emporium_test_${schema}_${randomBytes(4).toString('hex')}`;
    const db = await openPostgres({ url: TEST_DATABASE_URL, database, schema, poolSize: 4 });
    return {
      db,
      async close() {
        await db.close();
        const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.end();
      },
    };
  },
};

/**
 * Declares the same suite on PGlite and on PostgreSQL. Without a PostgreSQL server the second
 * run is skipped with the reason, except under CI, where it fails.
 */
export function describeOnDatabases(title: string, suite: (kind: DatabaseKind) => void): void {
  describe(`${title} [pglite]`, () => suite(pglite));
  const reason = skipReasonSync();
  if (reason && !IN_CI) {
    describe.skip(`${title} [postgres] — skipped: ${reason}`, () => suite(postgres));
  } else if (reason) {
    describe(`${title} [postgres]`, () => it('needs PostgreSQL under CI', () => {
      throw new Error(`${reason}. CI=true requires it.`);
    }));
  } else {
    describe(`${title} [postgres]`, () => suite(postgres));
  }
}

// Vitest collects suites synchronously, so availability is decided before collection by the
// global setup, which probes the server once and passes the answer on.
function skipReasonSync(): string | undefined {
  return inject('postgresUnavailable') || undefined;
}

/**
 * Migrates `db` to the schema an earlier version left behind: the kit's migrations before
 * `kitBefore` and the service's (in `dir`) before `ownBefore`, so an upgrade test can store
 * what that version stored. Resolves with the upgrade: the rest of the migrations.
 */
export async function migrateToEarlier(db: Database, dir: string, { kitBefore, ownBefore }: { kitBefore: number; ownBefore: number }): Promise<() => Promise<void>> {
  const kit = await loadMigrations(KIT_MIGRATIONS);
  const own = await loadMigrations(dir);
  await migrate(db, kit.filter((m) => m.version < kitBefore), 'kit_migrations');
  await migrate(db, own.filter((m) => m.version < ownBefore));
  return async () => {
    await migrate(db, kit, 'kit_migrations');
    await migrate(db, own);
  };
}
