import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEmbedded } from '../../tools/src/embedded.ts';
import { ROOT } from '../../tools/src/processes.ts';
import { seedDemo } from '../../tools/src/seed/seed.ts';
import { describeCheckout } from './checkout.ts';
import { describeJourney } from './journey.ts';

const dataDir = await mkdtemp(join(tmpdir(), 'emporium-e2e-'));
const source = { DATA_DIR: dataDir, PORT: '0', SERVICE_PORT_BASE: '0', LOG_LEVEL: 'silent', PASSWORD_SCRYPT_LOG2N: '10' };
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describeJourney('embedded', async () => {
  const platform = await startEmbedded(source);
  await seedDemo(platform.gatewayUrl, () => {});
  return platform;
});

const checkoutDir = await mkdtemp(join(tmpdir(), 'emporium-e2e-checkout-'));
afterAll(() => rm(checkoutDir, { recursive: true, force: true }));
describeCheckout('embedded', async () => {
  // Short step deadlines, so the provider-timeout test waits seconds rather than the default.
  const platform = await startEmbedded({ ...source, DATA_DIR: checkoutDir, SAGA_STEP_TIMEOUT_MS: '3000', RATE_LIMIT_PER_IP: '1000000', RATE_LIMIT_PER_USER: '1000000', REGISTER_MAX_PER_IP: '1000000' });
  await seedDemo(platform.gatewayUrl, () => {});
  return platform;
});

describe('embedded mode data directory', () => {
  it('keeps the data across a restart and does not seed twice, and keeps the services on loopback whatever HOST says', async () => {
    const first = await startEmbedded(source);
    const count = async (url: string) => ((await (await fetch(`${url}/api/v1/products?limit=1`)).json()) as { pagination: { total: number } }).pagination.total;
    const before = await count(first.gatewayUrl);
    await first.stop();
    // The second start exposes the gateway on every interface: the services stay on loopback.
    const second = await startEmbedded({ ...source, HOST: '0.0.0.0' });
    try {
      // 127.0.0.2 reaches a listener bound to every interface, never one bound to 127.0.0.1 alone.
      const answersOn127002 = (url: string) =>
        new Promise<boolean>((resolve) => {
          const socket = connect(Number(new URL(url).port), '127.0.0.2', () => (socket.destroy(), resolve(true)));
          socket.on('error', () => resolve(false));
        });
      expect(await answersOn127002(second.gatewayUrl)).toBe(true);
      for (const [name, url] of Object.entries(second.urls)) if (name !== 'gateway') expect(await answersOn127002(url), name).toBe(false);
      expect(await count(second.gatewayUrl)).toBe(before);
      expect((await seedDemo(second.gatewayUrl, () => {})).seeded).toBe(false);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('refuses a second launcher on a data directory that a live process holds', async () => {
    const holder = await startEmbedded(source);
    try {
      // A second `npm start` on the same DATA_DIR, as its own process.
      const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}tools/src/launcher.ts`, 'embedded'], {
        cwd: ROOT,
        env: { ...source, PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`in use by process ${process.pid}`);
    } finally {
      await holder.stop();
    }
  }, 120_000);
});

describe('npm start, as a process', () => {
  it('seeds on a first start, prints the URLs and credentials, and stops cleanly on Ctrl-C', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'emporium-start-'));
    try {
      // 1. Start the launcher as `npm start` would, on a fresh data directory.
      const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}tools/src/launcher.ts`, 'embedded'], {
        cwd: ROOT,
        env: { DATA_DIR: fresh, PORT: '0', SERVICE_PORT_BASE: '0', LOG_LEVEL: 'warn', PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

      // 2. It seeds with a progress line, then prints the banner.
      await vi.waitFor(() => expect(stdout).toContain('Press Ctrl-C to stop.'), { timeout: 90_000, interval: 200 });
      expect(stderr).toContain('Seeding the demo catalog');
      expect(stdout).toContain('admin@emporium.dev / emporium-admin');
      const url = /Storefront and API\s+(http:\/\/\S+)\//.exec(stdout)![1]!;
      expect((await fetch(`${url}/api/v1/products?limit=1`)).status).toBe(200);

      // 3. Ctrl-C: the process drains, closes the database, releases the lock and exits 0.
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toContain('Stopped.');
      await expect(import('node:fs/promises').then((fs) => fs.access(join(fresh, 'pglite-embedded', 'emporium.lock')))).rejects.toThrow();
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 120_000);
});
