import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ROOT } from './processes.ts';

const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');

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
 * Builds the web app into web/dist with esbuild: one minified bundle and its stylesheet, named by
 * their content hash (so the gateway may cache them for a year), and index.html pointing at them.
 */
export async function buildWeb(): Promise<void> {
  // Loaded here, not at the top: a built launcher serves a prebuilt web/dist and has no esbuild.
  const { build } = await import('esbuild');
  await rm(DIST, { recursive: true, force: true });
  const result = await build({
    entryPoints: [join(WEB, 'src', 'main.tsx')],
    outdir: join(DIST, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script) throw new Error('the web build produced no script');
  const template = await readFile(join(WEB, 'index.html'), 'utf8');
  const tags = `${style ? `<link rel="stylesheet" href="/assets/${style}" />\n    ` : ''}<script type="module" src="/assets/${script}"></script>`;
  await mkdir(DIST, { recursive: true });
  await writeFile(join(DIST, 'index.html'), template.replace('<!-- assets -->', tags));
}

/**
 * Builds the web app (web/dist, which the gateway serves) when it is missing or older than its
 * sources, so `npm start` serves the current UI without a separate step. Returns whether it built.
 */
export async function ensureWebBuilt(log: (line: string) => void): Promise<boolean> {
  const built = await newest(join(DIST, 'index.html'));
  const sources = Math.max(await newest(join(WEB, 'src')), await newest(join(WEB, 'index.html')));
  if (built > sources) return false;
  log('Building the web app (web/dist)…');
  const started = performance.now();
  await buildWeb();
  log(`Built the web app in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
