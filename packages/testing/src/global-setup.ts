import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PGliteHost } from '@emporium/kit';
import { IN_CI, postgresUnavailable } from './servers.ts';

/**
 * Runs once per test run: makes a PGlite template (creating one costs seconds, loading a dump
 * about one), and probes PostgreSQL so that suites know whether to run on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'emporium-test-'));
  const file = join(dir, 'pglite-template.tar');
  const host = await PGliteHost.memory();
  await writeFile(file, Buffer.from(await (await host.dump()).arrayBuffer()));
  await host.close();
  project.provide('pgliteTemplate', file);

  const reason = await postgresUnavailable();
  project.provide('postgresUnavailable', reason ?? '');
  if (reason) {
    const line = IN_CI ? `\n✗ ${reason}: CI=true, so the PostgreSQL suites will fail.\n` : `\n⚠ ${reason}: the PostgreSQL suites are skipped.\n`;
    process.stderr.write(line);
  }
  return () => rm(dir, { recursive: true, force: true });
}
