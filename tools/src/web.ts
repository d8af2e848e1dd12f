import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './processes.ts';

const WEB = join(ROOT, 'web');

/** The newest modification time under `path` (a file or a directory), in ms. */
async function newest(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((e) => newest(join(path, e))));
  return Math.max(info.mtimeMs, ...times);
}

/**
 * Builds the web app (web/dist, which the gateway serves) when it is missing or older than its
 * sources, so `npm start` serves the current UI without a separate step. Returns whether it built.
 */
export async function ensureWebBuilt(log: (line: string) => void): Promise<boolean> {
  const built = await newest(join(WEB, 'dist', 'index.html'));
  const sources = Math.max(...(await Promise.all(['src', 'index.html', 'vite.config.ts'].map((p) => newest(join(WEB, p))))));
  if (built > sources) return false;
  log('Building the web app (web/dist)…');
  const started = performance.now();
  const { build } = await import('vite');
  await build({ root: WEB, configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
  log(`Built the web app in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
