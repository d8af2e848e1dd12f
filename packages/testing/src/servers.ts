import pg from 'pg';
import { processEnv } from '@emporium/kit';

// This module must not import vitest: the global setup, which runs outside the test context, uses it.

const env = processEnv();
/** The PostgreSQL server the tests use, as a maintenance-database URL. */
export const TEST_DATABASE_URL = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Whether servers are required: under CI a missing server fails the run instead of skipping. */
export const IN_CI = env.CI === 'true';

let pgAnswer: Promise<string | undefined> | undefined;
/** Resolves to undefined when PostgreSQL answers, or to the reason it does not. */
export function postgresUnavailable(): Promise<string | undefined> {
  pgAnswer ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 1500 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL at ${TEST_DATABASE_URL} does not answer (${(err as Error).message})`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgAnswer;
}

