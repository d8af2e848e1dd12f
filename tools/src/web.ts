import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
 * sources, so `npm start` serves the current UI without a separate step. Vite runs in a child
 * process: in this one it would set NODE_ENV=production for the services started after it.
 * Returns whether it built.
 */
export async function ensureWebBuilt(log: (line: string) => void): Promise<boolean> {
  const built = await newest(join(WEB, 'dist', 'index.html'));
  const sources = Math.max(...(await Promise.all(['src', 'index.html', 'vite.config.ts'].map((p) => newest(join(WEB, p))))));
  if (built > sources) return false;
  log('Building the web app (web/dist)…');
  const started = performance.now();
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', WEB, '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the web app failed (vite exited with ${code})`))));
  });
  log(`Built the web app in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
