import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { IN_CI } from '@emporium/testing';
import { bundleTargets, runtimeFiles, stage } from '../../tools/src/build.ts';
import { ROOT } from '../../tools/src/processes.ts';
import { COMPOSE_FILE, composeConfig, dockerfileServiceCommand } from './workloads.ts';

/**
 * The image recipe and the build it packages, checked without a container engine: the Dockerfile
 * passes a linter, every path it copies exists, each bundle needs only production packages, and
 * the compose file validates with docker-compose and mounts files that exist.
 */

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const SERVICES = readdirSync(join(ROOT, 'services')).sort();

interface Copy {
  from?: string;
  sources: string[];
  line: number;
}

/** Every COPY of the Dockerfile, with its `--from` stage if any. */
function copies(dockerfile: string): Copy[] {
  return dockerfile.split('\n').flatMap((text, i) => {
    const m = /^COPY\s+(.*)$/.exec(text.trim());
    if (!m) return [];
    const words = m[1]!.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return [{ from, sources: paths.slice(0, -1), line: i + 1 }];
  });
}

/** The names of the Dockerfile's stages. */
const stages = (dockerfile: string) => [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gm)].map((m) => m[1]!);

/** Which dependencies the workspace packages declare, by kind. */
function declaredDependencies(): { production: Set<string>; development: Set<string> } {
  const manifests = ['package.json', ...['packages', 'services'].flatMap((d) => readdirSync(join(ROOT, d)).map((n) => `${d}/${n}/package.json`)), 'tools/package.json', 'web/package.json'];
  const production = new Set<string>();
  const development = new Set<string>();
  for (const file of manifests.filter((f) => existsSync(join(ROOT, f)))) {
    const pkg = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) production.add(name);
    for (const name of Object.keys(pkg.devDependencies ?? {})) development.add(name);
  }
  return { production, development };
}

describe('the Dockerfile', () => {
  it('passes dockerfile-utils lint with no problem at all', () => {
    expect(validate(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    // The linter does find problems: a broken copy of the file fails it.
    expect(validate(DOCKERFILE.replace('FROM base AS build', 'FROMM base AS build').replace('EXPOSE 8080', 'EXPOSE port')).length).toBeGreaterThanOrEqual(2);
  });

  it('has a per-service target, the all-in-one target, a non-root user, production mode, tini as PID 1, a data volume and a health check', () => {
    expect(stages(DOCKERFILE)).toEqual(expect.arrayContaining(['build', 'production-dependencies', 'runtime', 'service', 'all-in-one']));
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
    expect(DOCKERFILE).toMatch(/ENV NODE_ENV=production/);
    expect(DOCKERFILE).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(DOCKERFILE).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/health\/ready/m);
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev/);
    // Dependencies are installed with npm ci everywhere: a lock out of sync fails the build.
    expect(DOCKERFILE).not.toMatch(/npm install/);
    expect(dockerfileServiceCommand(DOCKERFILE)('orders')).toEqual(['node', 'services/orders/dist/main.js']);
  });

  it('copies only paths that exist in the build context, and .dockerignore keeps them in it', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    const contextCopies = copies(DOCKERFILE).filter((c) => !c.from);
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      for (const source of copy.sources) {
        const path = source.replace(/\/$/, '');
        if (path === '.') continue;
        expect(existsSync(join(ROOT, path)), `line ${copy.line}: COPY ${source}`).toBe(true);
        expect(ignored, `line ${copy.line}: ${source} is excluded by .dockerignore`).not.toContain(path);
      }
    }
    // What the build stage needs to read is in the context: no dev or generated folder is.
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });

  describe('after the build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emporium-stage-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('finds every path a later stage copies from the build stage, for every service and the all-in-one image', async () => {
      expect(existsSync(join(ROOT, 'services/gateway/dist/main.js')), 'run `npm run bundle` first (npm test does)').toBe(true);
      await stage(dir);
      const fromBuild = copies(DOCKERFILE).filter((c) => c.from === 'build');
      const images = [...SERVICES.map((s) => ({ SERVICE: s, target: s })), { SERVICE: '', target: 'launcher' }];
      for (const copy of fromBuild) {
        for (const source of copy.sources) {
          // /app/stage/${SERVICE}/ in the build stage is <dir>/<name>/ here.
          expect(source, `line ${copy.line}`).toMatch(/^\/app\/stage\/(\$\{SERVICE\}|launcher)\/$/);
          const wanted = source.includes('${SERVICE}') ? images.filter((i) => i.SERVICE) : images.filter((i) => i.target === 'launcher');
          for (const image of wanted) expect(existsSync(join(dir, image.target)), `${source} for ${image.target}`).toBe(true);
        }
      }
      // Each service's folder holds its bundle and its migrations; the gateway's the web app.
      for (const service of SERVICES) {
        expect(existsSync(join(dir, service, `services/${service}/dist/main.js`)), service).toBe(true);
        expect(existsSync(join(dir, service, 'packages/kit/src/messaging/migrations')), service).toBe(true);
        if (existsSync(join(ROOT, `services/${service}/src/db/migrations`))) expect(existsSync(join(dir, service, `services/${service}/src/db/migrations`)), service).toBe(true);
      }
      expect(existsSync(join(dir, 'gateway/web/dist/index.html'))).toBe(true);
      expect(existsSync(join(dir, 'launcher/tools/dist/launcher.js'))).toBe(true);
    });

    it('bundles only workspace code: each bundle imports production dependencies, never tsx or a dev tool', async () => {
      const { production, development } = declaredDependencies();
      const targets = await bundleTargets();
      expect(targets.map((t) => t.name)).toEqual([...SERVICES, 'launcher']);
      for (const target of targets) {
        const imported = JSON.parse(readFileSync(join(ROOT, `${target.outfile}.packages.json`), 'utf8')) as string[];
        expect(imported.length, target.name).toBeGreaterThan(0);
        for (const name of imported) {
          expect(production.has(name), `${target.name} imports ${name}, which no workspace package lists in dependencies`).toBe(true);
        }
        expect(imported.filter((n) => ['tsx', 'typescript', 'vitest', 'eslint'].includes(n))).toEqual([]);
        expect(imported.filter((n) => n.startsWith('@emporium/'))).toEqual([]);
        expect((await runtimeFiles(target, targets)).length).toBeGreaterThan(1);
      }
      // The check can fail: a dev-only package is not a production dependency.
      expect(development.has('vitest') && !production.has('vitest')).toBe(true);
    });

    it('runs a service from its bundle with no tsx: a wrong argument gets the usage and exit code 2', () => {
      let status: number | null = 0;
      let stderr = '';
      try {
        execFileSync(process.execPath, [join(ROOT, 'services/catalog/dist/main.js'), 'serve-please'], { cwd: dir, stdio: 'pipe', env: { PATH: '/usr/bin:/bin' } });
      } catch (err) {
        status = (err as { status: number | null }).status;
        stderr = String((err as { stderr: Buffer }).stderr);
      }
      expect(status).toBe(2);
      expect(stderr).toMatch(/usage: catalog \[migrate\]/);
    });
  });
});

const composeUnavailable = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `docker-compose does not run (${(err as Error).message.split('\n')[0]})`;
  }
})();

if (composeUnavailable && !IN_CI) {
  describe.skip(`deploy/compose.yaml — skipped: ${composeUnavailable}`, () => {});
} else {
  describe('deploy/compose.yaml', () => {
    it('validates with docker-compose config -q, and a broken copy does not', () => {
      expect(() => execFileSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { stdio: 'pipe' })).not.toThrow();
      const dir = mkdtempSync(join(tmpdir(), 'emporium-compose-'));
      try {
        const broken = join(dir, 'compose.yaml');
        execFileSync('sh', ['-c', `sed 's/condition: service_healthy/condition: when_it_feels_like_it/' "$0" > "$1"`, COMPOSE_FILE, broken]);
        expect(() => execFileSync('docker-compose', ['-f', broken, 'config', '-q'], { stdio: 'pipe' })).toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs every service with a health check, waits for healthy dependencies, and publishes only the gateway among them', () => {
      const { services } = composeConfig() as unknown as { services: Record<string, { build?: { target?: string; args?: Record<string, string> }; healthcheck?: unknown; depends_on?: Record<string, { condition: string }>; ports?: unknown[] }> };
      const built = Object.entries(services).filter(([, s]) => s.build?.target === 'service');
      expect(built.map(([, s]) => s.build!.args!.SERVICE).sort()).toEqual(SERVICES);
      for (const [name, s] of built) {
        expect(s.healthcheck, name).toBeDefined();
        const conditions = Object.values(s.depends_on ?? {}).map((d) => d.condition);
        expect(conditions.length, `${name} depends on something`).toBeGreaterThan(0);
        expect(conditions.every((c) => c === 'service_healthy'), name).toBe(true);
        if (name !== 'gateway') expect(s.ports, `${name} publishes a port`).toBeUndefined();
      }
      expect(Object.keys(services.gateway!.depends_on ?? {})).toEqual(expect.arrayContaining(SERVICES.filter((s) => s !== 'gateway')));
      expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'nats', 'redis', 'otel-collector', 'jaeger', 'prometheus', 'grafana']));
    });

    it('mounts configuration files that exist, and gives Prometheus its scrape token where prometheus.yml reads it', () => {
      const text = readFileSync(COMPOSE_FILE, 'utf8');
      const mounts = [...text.matchAll(/^\s+- (\.\/[^:]+):/gm), ...text.matchAll(/volumes: \[(\.\/[^:]+):/gm)].map((m) => m[1]!);
      expect(mounts.length).toBeGreaterThanOrEqual(4);
      for (const mount of mounts) expect(existsSync(join(ROOT, 'deploy', mount)), mount).toBe(true);
      const prometheus = readFileSync(join(ROOT, 'deploy/observability/prometheus/prometheus.yml'), 'utf8');
      const tokenFiles = new Set([...prometheus.matchAll(/credentials_file:\s*(\S+)/g)].map((m) => m[1]));
      expect(tokenFiles.size).toBe(1);
      expect(text).toContain(`> ${[...tokenFiles][0]} &&`);
    });
  });
}
