import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { ROOT } from './processes.ts';
import { buildWeb } from './web.ts';

/** One bundle the build writes: an entry point and where its single file goes. */
export interface BundleTarget {
  name: string;
  entry: string;
  outfile: string;
}

/** Every service's `src/main.ts` as `services/<name>/dist/main.js`, and the launcher as `tools/dist/launcher.js`. */
export async function bundleTargets(): Promise<BundleTarget[]> {
  const services = (await readdir(join(ROOT, 'services'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  return [
    ...services.map((name) => ({ name, entry: `services/${name}/src/main.ts`, outfile: `services/${name}/dist/main.js` })),
    { name: 'launcher', entry: 'tools/src/launcher.ts', outfile: 'tools/dist/launcher.js' },
  ];
}

/** The folder of the copy of package `name` that Node finds from `dir`, walking up through node_modules. */
function packageDirFrom(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Bundles the workspace's own code (`@emporium/*` and relative imports) and leaves npm packages as
 * imports, so a production image installs them with `npm ci --omit=dev`. A package stays an
 * import only when Node, starting from the bundle's folder, finds the same copy the source uses:
 * npm nests a second version where two are needed (the kit's ajv 8 beside eslint's ajv 6 at the
 * root), and that copy, with whatever it requires, goes into the bundle instead.
 */
function workspaceOnly(outdir: string): Plugin {
  return {
    name: 'workspace-only',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@emporium/') || args.path.startsWith('node:') || args.importer.includes('/node_modules/')) return undefined;
        const parts = args.path.split('/');
        const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        const used = packageDirFrom(args.resolveDir, name);
        return used && used === packageDirFrom(outdir, name) ? { path: args.path, external: true } : undefined;
      });
    },
  };
}

/**
 * Keeps `import.meta.url` meaning the source file's place. Migrations, the web app and the repository
 * root are found relative to the module that names them; bundled, every module would share the
 * bundle's URL (and nine services' `./db/migrations/` would be one folder). Each use becomes the
 * source file's URL computed from the bundle's, so the bundle stays relocatable along with the tree.
 */
function sourceRelativeUrls(outdir: string): Plugin {
  return {
    name: 'source-relative-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('node_modules')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const fromBundle = relative(outdir, args.path).split('\\').join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** The repository's version (the root package.json), stamped into every bundle as `service.version`. */
async function rootVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** What one bundle imports from npm: the packages a production install must provide. */
export function externalPackages(meta: Metafile): string[] {
  const names = new Set<string>();
  for (const input of Object.values(meta.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external || imp.path.startsWith('node:')) continue;
      const parts = imp.path.split('/');
      names.add(imp.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return [...names].sort();
}

/** Bundles one target; writes its npm imports beside it as `<outfile>.packages.json`. */
export async function bundle(target: BundleTarget): Promise<string[]> {
  const outfile = join(ROOT, target.outfile);
  const result = await build({
    entryPoints: [join(ROOT, target.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // The launcher spawns services from their built files when it is built itself; traces carry the version.
    define: { __EMPORIUM_BUILT__: 'true', __EMPORIUM_VERSION__: JSON.stringify(await rootVersion()) },
    plugins: [workspaceOnly(dirname(outfile)), sourceRelativeUrls(dirname(outfile))],
  });
  const packages = externalPackages(result.metafile);
  await writeFile(`${outfile}.packages.json`, `${JSON.stringify(packages, null, 2)}\n`);
  return packages;
}

/**
 * The files one target needs at run time, beside its npm packages: its bundle and the folders its
 * code finds through `import.meta.url` (the SQL migrations, the web app). A launcher image takes
 * every service's, since its distributed mode starts them.
 */
export async function runtimeFiles(target: BundleTarget, all: readonly BundleTarget[]): Promise<string[]> {
  const dirOf = (t: BundleTarget) => dirname(t.outfile);
  const migrationsOf = (name: string) => `services/${name}/src/db/migrations`;
  const kitMigrations = 'packages/kit/src/messaging/migrations';
  const services = target.name === 'launcher' ? all.filter((t) => t.name !== 'launcher') : [target];
  const files = [dirOf(target), kitMigrations, ...services.map(dirOf), ...services.map((t) => migrationsOf(t.name))];
  if (services.some((t) => t.name === 'gateway')) files.push('web/dist');
  const present = await Promise.all(files.map(async (f) => ((await readdir(join(ROOT, f)).catch(() => undefined)) ? f : undefined)));
  return [...new Set(present.filter((f): f is string => f !== undefined))].sort();
}

/** Copies each target's run-time files into `<dir>/<name>/`, laid out as in the repository: an image copies one such folder. */
export async function stage(dir: string): Promise<void> {
  const targets = await bundleTargets();
  await rm(dir, { recursive: true, force: true });
  for (const target of targets) {
    for (const path of await runtimeFiles(target, targets)) {
      await mkdir(join(dir, target.name, dirname(path)), { recursive: true });
      await cp(join(ROOT, path), join(dir, target.name, path), { recursive: true });
    }
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const targets = await bundleTargets();
  await Promise.all(targets.map((t) => rm(join(ROOT, dirname(t.outfile)), { recursive: true, force: true })));
  // One at a time keeps the progress readable; esbuild is fast enough that it costs little.
  for (const [i, target] of targets.entries()) {
    const packages = await bundle(target);
    process.stderr.write(`[${i + 1}/${targets.length + 1}] ${target.outfile} (imports ${packages.length} npm packages)\n`);
  }
  await buildWeb();
  process.stderr.write(`[${targets.length + 1}/${targets.length + 1}] web/dist\n`);
  const stageAt = process.argv.indexOf('--stage');
  if (stageAt > 0) {
    const dir = join(ROOT, process.argv[stageAt + 1] ?? 'stage');
    await stage(dir);
    process.stderr.write(`Staged each target's run-time files under ${relative(ROOT, dir)}/<name>/.\n`);
  }
  process.stderr.write(`Built in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
