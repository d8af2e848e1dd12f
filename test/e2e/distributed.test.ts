import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { createLogger, NatsTransport } from '@emporium/kit';
import { IN_CI, natsUnavailable, TEST_DATABASE_URL, TEST_NATS_URL } from '@emporium/testing';
import { inject } from 'vitest';
import { startDistributed } from '../../tools/src/distributed.ts';
import { seedDemo } from '../../tools/src/seed/seed.ts';
import { describeJourney } from './journey.ts';

const unavailable = inject('postgresUnavailable') || (await natsUnavailable());
const prefix = `e2e_${randomBytes(3).toString('hex')}`;
// Ports away from the defaults, so a platform a developer is running is left alone.
const base = 20_000 + Math.floor(Math.random() * 200) * 100;

/** Deletes the event streams this run created in its own namespace. */
async function dropStreams(): Promise<void> {
  const nats = await NatsTransport.connect({ url: TEST_NATS_URL, namespace: prefix, log: createLogger('e2e', 'silent') });
  for (const producer of ['identity', 'catalog', 'notifications']) await nats.deleteStream(producer);
  await nats.close();
}

async function dropDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}_%`]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();
}

if (unavailable && !IN_CI) {
  describe.skip(`journey through the gateway (distributed) — skipped: ${unavailable}`, () => {});
} else if (unavailable) {
  describe('journey through the gateway (distributed)', () => {
    it('needs PostgreSQL under CI', () => {
      throw new Error(`${unavailable}. CI=true requires it.`);
    });
  });
} else {
  describeJourney('distributed, 2 catalog replicas', async () => {
    const platform = await startDistributed(
      { DATABASE_URL: TEST_DATABASE_URL, DATABASE_PREFIX: prefix, NATS_URL: TEST_NATS_URL, EVENTS_NAMESPACE: prefix, PORT: String(base + 80), SERVICE_PORT_BASE: String(base), REPLICAS: 'catalog=2', LOG_LEVEL: 'warn', PATH: '/usr/bin:/bin' },
      () => {},
    );
    await seedDemo(platform.gatewayUrl, () => {});
    return {
      gatewayUrl: platform.gatewayUrl,
      async stop() {
        await platform.stop();
        await dropDatabases();
        await dropStreams();
      },
    };
  });
}
