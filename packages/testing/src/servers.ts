import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { processEnv } from '@emporium/kit';

// This module must not import vitest: the global setup, which runs outside the test context, uses it.

const env = processEnv();
/** The PostgreSQL server the tests use, as a maintenance-database URL. */
export const TEST_DATABASE_URL = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The NATS server (with JetStream) the tests use. */
export const TEST_NATS_URL = env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
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


let natsAnswer: Promise<string | undefined> | undefined;
/** Resolves to undefined when NATS with JetStream answers, or to the reason it does not. */
export function natsUnavailable(): Promise<string | undefined> {
  natsAnswer ??= (async () => {
    const url = new URL(TEST_NATS_URL);
    try {
      const nc = await connect({ servers: `${url.hostname}:${url.port || 4222}`, timeout: 1500, reconnect: false });
      try {
        // JetStream answers on $JS.API.INFO; a plain NATS server has no responder there.
        await nc.request('$JS.API.INFO', undefined, { timeout: 1500 });
        return undefined;
      } finally {
        await nc.close();
      }
    } catch (err) {
      return `NATS with JetStream at ${TEST_NATS_URL} does not answer (${(err as Error).message})`;
    }
  })();
  return natsAnswer;
}
