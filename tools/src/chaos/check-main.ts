import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processEnv } from '@emporium/kit';
import { checkDatabases, DEFAULTS, formatReport, hasViolations, parseOrderIds, type CheckOptions } from './checker.ts';

const USAGE = `npm run check:invariants -- [options]

Reads every service's database directly (never the API) and checks the invariants I1–I7
(docs/reliability.md, "The external checker"). Prints a table, writes the report as JSON, and
exits 1 when any invariant is violated (2 when the databases cannot be read).

  --database-url URL     the PostgreSQL server (default: DATABASE_URL)
  --prefix NAME          DATABASE_PREFIX: databases are <prefix>_<service> (default: DATABASE_PREFIX, else emporium)
  --orders-file FILE     orders the API accepted, each of which must exist: load.json of npm run load,
                         a JSON list of ids or of {id}, or one id a line
  --stuck-after S        an order not settled S seconds after it was placed is stuck (default ${DEFAULTS.stuckAfterSeconds})
  --lag S                newer than S seconds is still in flight, not lost (default ${DEFAULTS.lagSeconds})
  --retention-hours H    EVENTS_RETENTION_HOURS of the platform (default: EVENTS_RETENTION_HOURS, else ${DEFAULTS.retentionHours})
  --out FILE             the JSON report (default test-results/invariants.json)
  --details N            violations shown per check in the table (default 3)
  --help
`;

class UsageError extends Error {}

const seconds = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds (or hours) ≥ 0, not "${v}"`);
  return n;
};

/** The server URL without its password, for the report. */
const shown = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
};

async function main(): Promise<number> {
  const env = processEnv();
  let opts: CheckOptions & { out: string; details: number };
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        'database-url': { type: 'string' },
        prefix: { type: 'string' },
        'orders-file': { type: 'string' },
        'stuck-after': { type: 'string' },
        lag: { type: 'string' },
        'retention-hours': { type: 'string' },
        out: { type: 'string' },
        details: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
    if (!databaseUrl) throw new UsageError('--database-url (or DATABASE_URL) is required');
    const prefix = values.prefix ?? env.DATABASE_PREFIX ?? 'emporium';
    if (!/^[a-z_][a-z0-9_]*$/i.test(prefix)) throw new UsageError(`--prefix must be an identifier, not "${prefix}"`);
    let orderIds: string[] | undefined;
    if (values['orders-file']) {
      const file = resolve(values['orders-file']);
      const text = await readFile(file, 'utf8').catch((err: Error) => {
        throw new UsageError(`cannot read ${file}: ${err.message}`);
      });
      try {
        orderIds = parseOrderIds(text);
      } catch (err) {
        throw new UsageError(`${file}: ${(err as Error).message}`);
      }
    }
    opts = {
      databaseUrl,
      prefix,
      ...(orderIds ? { orderIds } : {}),
      stuckAfterSeconds: seconds('stuck-after', values['stuck-after'], DEFAULTS.stuckAfterSeconds),
      lagSeconds: seconds('lag', values.lag, DEFAULTS.lagSeconds),
      retentionHours: seconds('retention-hours', values['retention-hours'] ?? env.EVENTS_RETENTION_HOURS, DEFAULTS.retentionHours),
      out: resolve(values.out ?? 'test-results/invariants.json'),
      details: Math.floor(seconds('details', values.details, 3)),
    };
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
    process.stderr.write(`npm run check:invariants: ${err.message}\nSee: npm run check:invariants -- --help\n`);
    return 2;
  }

  const started = new Date();
  let reports;
  try {
    reports = await checkDatabases(opts);
  } catch (err) {
    process.stderr.write(`npm run check:invariants: cannot read the databases of "${opts.prefix}" at ${shown(opts.databaseUrl)}: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`Invariants of "${opts.prefix}" at ${shown(opts.databaseUrl)}, read from the databases (${Date.now() - started.getTime()} ms):\n\n${formatReport(reports, opts.details)}\n`);
  const ok = !hasViolations(reports);
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(
    opts.out,
    `${JSON.stringify(
      {
        checkedAt: started.toISOString(),
        server: shown(opts.databaseUrl),
        prefix: opts.prefix,
        options: { stuckAfterSeconds: opts.stuckAfterSeconds, lagSeconds: opts.lagSeconds, retentionHours: opts.retentionHours, ordersGiven: opts.orderIds?.length ?? null },
        ok,
        violations: reports.reduce((n, r) => n + r.violations.length, 0),
        reports,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nWrote ${opts.out}\n`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
