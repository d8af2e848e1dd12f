import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DataDirLockedError, loadMigrations, lockDataDir, migrate, PGliteHost, sqlState, UNIQUE_VIOLATION, type Database } from '@emporium/kit';
import { describeOnDatabases, type TestDatabase } from '@emporium/testing';

const temps: string[] = [];
async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'emporium-kit-db-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Whether a table exists in the database's own schema. */
async function hasTable(db: Database, table: string): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [db.schema, table]);
  return rows[0]!.n === 1;
}

describe('loadMigrations', () => {
  it('reads NNN_name.sql files in version order and ignores other files', async () => {
    const dir = await tempDir({ '010_later.sql': 'SELECT 10;', '002_second.sql': 'SELECT 2;', '001_first.sql': 'SELECT 1;', 'README.md': '# notes' });
    expect(await loadMigrations(dir)).toEqual([
      { version: 1, name: 'first', sql: 'SELECT 1;' },
      { version: 2, name: 'second', sql: 'SELECT 2;' },
      { version: 10, name: 'later', sql: 'SELECT 10;' },
    ]);
  });

  it('refuses a badly named file and two files with one version', async () => {
    await expect(loadMigrations(await tempDir({ 'create_items.sql': 'SELECT 1;' }))).rejects.toThrow('migration file create_items.sql must be named NNN_name.sql');
    await expect(loadMigrations(await tempDir({ '001_a.sql': 'SELECT 1;', '1_b.sql': 'SELECT 1;' }))).rejects.toThrow('two migrations share version 1');
  });
});

describeOnDatabases('database', (kind) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await kind.open('kit_db');
    db = test.db;
  });
  afterAll(async () => {
    await test.close();
  });
  // Each test starts from an empty schema.
  afterEach(async () => {
    await db.exec('DROP SCHEMA kit_db CASCADE; CREATE SCHEMA kit_db;');
  });

  describe('migrate', () => {
    const files = {
      '001_create_items.sql': `
        CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL);
        INSERT INTO items (id, name) VALUES (1, 'mug'), (2, 'plate');`,
      '002_add_price.sql': `
        ALTER TABLE items ADD COLUMN price_cents integer NOT NULL DEFAULT 0;
        CREATE INDEX items_name ON items (name);
        UPDATE items SET price_cents = 1200 WHERE id = 1;`,
    };

    it('applies multi-statement migrations once and records them', async () => {
      const migrations = await loadMigrations(await tempDir(files));

      expect(await migrate(db, migrations)).toEqual([1, 2]);
      const recorded = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(recorded.rows).toEqual([
        { version: 1, name: 'create_items' },
        { version: 2, name: 'add_price' },
      ]);
      expect((await db.query('SELECT id, name, price_cents FROM items ORDER BY id')).rows).toEqual([
        { id: 1, name: 'mug', price_cents: 1200 },
        { id: 2, name: 'plate', price_cents: 0 },
      ]);

      // A second run applies nothing: the seed rows are not inserted twice.
      expect(await migrate(db, migrations)).toEqual([]);
      expect((await db.query<{ n: number }>('SELECT count(*) AS n FROM items')).rows[0]!.n).toBe(2);
    });

    it('applies only the migrations added since the last run', async () => {
      const dir = await tempDir({ '001_create_items.sql': files['001_create_items.sql'] });
      expect(await migrate(db, await loadMigrations(dir))).toEqual([1]);
      await writeFile(join(dir, '002_add_price.sql'), files['002_add_price.sql']);
      expect(await migrate(db, await loadMigrations(dir))).toEqual([2]);
      expect((await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows).toEqual([{ version: 1 }, { version: 2 }]);
    });

    it('rolls a broken migration back entirely', async () => {
      const dir = await tempDir({
        ...files,
        '003_broken.sql': `
          CREATE TABLE half_made (id integer PRIMARY KEY);
          INSERT INTO no_such_table VALUES (1);`,
      });

      await expect(migrate(db, await loadMigrations(dir))).rejects.toThrow(/no_such_table/);

      // Nothing is recorded and nothing is left behind, not even the earlier good migrations of the same run.
      expect(await hasTable(db, 'half_made')).toBe(false);
      expect(await hasTable(db, 'items')).toBe(false);
      expect(await hasTable(db, 'schema_migrations')).toBe(false);

      // Once fixed, the whole set applies.
      await writeFile(join(dir, '003_broken.sql'), 'CREATE TABLE half_made (id integer PRIMARY KEY);');
      expect(await migrate(db, await loadMigrations(dir))).toEqual([1, 2, 3]);
      expect(await hasTable(db, 'half_made')).toBe(true);
    });
  });

  describe('transaction', () => {
    beforeEach(async () => {
      await db.exec('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)');
    });

    it('commits when the function resolves, and returns its value', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO notes VALUES ($1, $2)', [1, 'first']);
        await tx.query('INSERT INTO notes VALUES ($1, $2)', [2, 'second']);
        return (await tx.query<{ n: number }>('SELECT count(*) AS n FROM notes')).rows[0]!.n;
      });
      expect(result).toBe(2);
      expect((await db.query('SELECT body FROM notes ORDER BY id')).rows).toEqual([{ body: 'first' }, { body: 'second' }]);
    });

    it('rolls back when the function throws, and rethrows the same error', async () => {
      const boom = new Error('payment declined');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO notes VALUES ($1, $2)', [1, 'doomed']);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect((await db.query('SELECT * FROM notes')).rows).toEqual([]);

      // The database is still usable afterwards.
      await db.query('INSERT INTO notes VALUES (1, $1)', ['kept']);
      expect((await db.query('SELECT body FROM notes')).rows).toEqual([{ body: 'kept' }]);
    });

    it('rolls back when a statement fails', async () => {
      await db.query("INSERT INTO notes VALUES (1, 'existing')");
      const err = await db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO notes VALUES (2, 'new')");
          await tx.query("INSERT INTO notes VALUES (1, 'duplicate')");
        })
        .catch((e: unknown) => e);
      expect(sqlState(err)).toBe(UNIQUE_VIOLATION);
      expect((await db.query('SELECT id FROM notes ORDER BY id')).rows).toEqual([{ id: 1 }]);
    });
  });

  it('returns int8 values, counts included, as JS numbers', async () => {
    const { rows } = await db.query<{ big: unknown; n: unknown }>('SELECT 5000000000::int8 AS big, count(*) AS n FROM generate_series(1, 3)');
    expect(rows[0]).toEqual({ big: 5_000_000_000, n: 3 });
    expect(typeof rows[0]!.big).toBe('number');
  });

  it('surfaces a unique violation as its SQLSTATE', async () => {
    await db.exec('CREATE TABLE users (email text PRIMARY KEY)');
    await db.query('INSERT INTO users VALUES ($1)', ['a@b.c']);
    const err = await db.query('INSERT INTO users VALUES ($1)', ['a@b.c']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(sqlState(err)).toBe(UNIQUE_VIOLATION);
    expect(sqlState(new Error('plain'))).toBeUndefined();
  });

  it('counts the rows a statement returned or touched', async () => {
    await db.exec('CREATE TABLE stock (sku text PRIMARY KEY, qty integer NOT NULL)');
    expect((await db.query("INSERT INTO stock VALUES ('a', 1), ('b', 2), ('c', 3)")).rowCount).toBe(3);
    expect((await db.query('SELECT * FROM stock WHERE qty > 1')).rowCount).toBe(2);
    expect((await db.query('SELECT * FROM stock WHERE qty > 9')).rowCount).toBe(0);
    expect((await db.query('UPDATE stock SET qty = qty - 1 WHERE qty > 0')).rowCount).toBe(3);
    expect((await db.query("DELETE FROM stock WHERE sku = 'zzz'")).rowCount).toBe(0);
    expect((await db.transaction((tx) => tx.query('SELECT * FROM stock'))).rowCount).toBe(3);
  });

  it('answers ping while open', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('gives a lock to one holder at a time, and to the next once it is released', async () => {
    const first = await db.holdLock('kit_db.test-lock');
    expect(first?.held).toBe(true);
    expect(await db.holdLock('kit_db.test-lock')).toBeUndefined();
    const other = await db.holdLock('kit_db.other-lock');
    expect(other?.held).toBe(true);
    await first!.release();
    expect(first!.held).toBe(false);
    const second = await db.holdLock('kit_db.test-lock');
    expect(second?.held).toBe(true);
    await second!.release();
    await other!.release();
  });

  if (kind.name === 'postgres') {
    it('frees a lock as soon as its holder connection dies, as it does when the process crashes', async () => {
      const first = await db.holdLock('kit_db.crash-lock');
      expect(first?.held).toBe(true);
      // The server ends the holder's session, as it does when the holding process is killed.
      await db.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('kit_db.crash-lock')::oid AND pid <> pg_backend_pid()");
      await vi.waitFor(() => expect(first!.held).toBe(false), { timeout: 5_000, interval: 20 });
      const next = await db.holdLock('kit_db.crash-lock');
      expect(next?.held).toBe(true);
      await next!.release();
    });
  }
});

describe('PGliteHost', () => {
  let template: Blob;
  let host: PGliteHost;
  beforeAll(async () => {
    template = new Blob([await readFile(inject('pgliteTemplate'))]);
  });
  beforeEach(async () => {
    host = await PGliteHost.memory(template);
  });
  afterEach(async () => {
    await host.close();
  });

  it('keeps each schema apart: the same table name holds different rows', async () => {
    const orders = await host.database('orders');
    const carts = await host.database('carts');
    await orders.exec('CREATE TABLE items (name text)');
    await carts.exec('CREATE TABLE items (name text)');
    await orders.query("INSERT INTO items VALUES ('order line')");
    await carts.query("INSERT INTO items VALUES ('cart line 1'), ('cart line 2')");

    expect((await orders.query('SELECT name FROM items')).rows).toEqual([{ name: 'order line' }]);
    expect((await carts.query('SELECT name FROM items ORDER BY name')).rows).toEqual([{ name: 'cart line 1' }, { name: 'cart line 2' }]);
    expect((await orders.transaction((tx) => tx.query('SELECT name FROM items'))).rows).toEqual([{ name: 'order line' }]);
  });

  it('interleaves many concurrent transactions from two services safely', async () => {
    const a = await host.database('service_a');
    const b = await host.database('service_b');
    for (const db of [a, b]) await db.exec('CREATE TABLE counter (n integer NOT NULL); INSERT INTO counter VALUES (0);');

    // Read-then-write increments lose updates unless transactions are serialized, and they
    // hit the wrong table unless each runs on its own schema.
    const increment = (db: Database) =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter');
        await new Promise((r) => setImmediate(r));
        await tx.query('UPDATE counter SET n = $1', [rows[0]!.n + 1]);
      });
    await Promise.all(Array.from({ length: 100 }, (_, i) => increment(i % 2 === 0 ? a : b)));

    expect((await a.query('SELECT n FROM counter')).rows).toEqual([{ n: 50 }]);
    expect((await b.query('SELECT n FROM counter')).rows).toEqual([{ n: 50 }]);
  });

  it('fails fast, instead of hanging, when a transaction queries the database instead of its tx', async () => {
    const db = await host.database('nested');
    await db.exec('CREATE TABLE t (n integer)');
    await expect(db.transaction(() => db.query('SELECT 1'))).rejects.toThrow('use the transaction handle');
    // The connection is free again afterwards.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses work on a view once the host is closed', async () => {
    const db = await host.database('closing');
    await host.close();
    await expect(db.query('SELECT 1')).rejects.toThrow('the database is closed');
    await expect(db.ping()).rejects.toThrow();
  });
});

describe('data directory lock', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** A real process that stays alive until the test kills it. */
  async function liveProcess(): Promise<number> {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    await once(child, 'spawn');
    return child.pid!;
  }

  /** The pid of a process that has already exited. */
  async function deadPid(): Promise<number> {
    const child = spawn('true', { stdio: 'ignore' });
    await once(child, 'exit');
    return child.pid!;
  }

  it('takes a free directory, writes its pid, and releases it', async () => {
    const dir = join(await tempDir(), 'data');
    const release = lockDataDir(dir);
    expect(await readFile(join(dir, 'emporium.lock'), 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'emporium.lock'))).toBe(false);
  });

  it('refuses a directory held by another live process, naming it', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeFile(join(dir, 'emporium.lock'), String(pid));

    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(`The data directory ${dir} is in use by process ${pid}`);
    // The other process's lock is left alone.
    expect(await readFile(join(dir, 'emporium.lock'), 'utf8')).toBe(String(pid));
  });

  it('refuses a directory this process already holds', async () => {
    const dir = await tempDir();
    const release = lockDataDir(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(`in use by process ${process.pid}`);
    } finally {
      release();
    }
    // Released, it can be taken again.
    lockDataDir(dir)();
  });

  it('takes over a stale lock whose process has died', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'emporium.lock'), String(await deadPid()));

    const release = lockDataDir(dir);
    expect(await readFile(join(dir, 'emporium.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('takes over a lock file with no pid in it', async () => {
    const dir = await tempDir({ 'emporium.lock': '' });
    const release = lockDataDir(dir);
    expect(await readFile(join(dir, 'emporium.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('makes PGliteHost.open refuse a locked directory', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeFile(join(dir, 'emporium.lock'), String(pid));

    await expect(PGliteHost.open(dir)).rejects.toThrow(DataDirLockedError);
    await expect(PGliteHost.open(dir)).rejects.toThrow(`in use by process ${pid}`);
    expect(existsSync(join(dir, 'pglite'))).toBe(false);
  });

  it('lets PGliteHost.open hold the directory until it closes, keeping the data', async () => {
    const dir = await tempDir();
    // 1. Open, write, close: the lock is released on close.
    const first = await PGliteHost.open(dir);
    expect(await readFile(join(dir, 'emporium.lock'), 'utf8')).toBe(String(process.pid));
    const db = await first.database('keeper');
    await db.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here');");
    await first.close();
    expect(existsSync(join(dir, 'emporium.lock'))).toBe(false);

    // 2. Reopen: the data survived.
    const second = await PGliteHost.open(dir);
    try {
      expect((await (await second.database('keeper')).query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
    } finally {
      await second.close();
    }
  });
});
