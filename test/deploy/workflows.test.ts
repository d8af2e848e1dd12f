import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The GitHub Actions workflows (.github/workflows): each one passes action-validator (the
 * workflow JSON schema), and the promises docs/pipeline.md makes hold: a release builds exactly the
 * services there are, installs with npm ci only, CI runs the README's test command against the
 * servers the tests look for, production waits for staging, actions are pinned to major tags.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOWS = join(ROOT, '.github/workflows');
const VALIDATOR = join(ROOT, 'node_modules/.bin/action-validator');

type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; if?: string };
type Job = {
  name?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  services?: Record<string, { image: string; env?: Record<string, string>; ports?: string[] }>;
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  steps?: Step[];
};
type Workflow = { name?: string; on: Record<string, unknown>; jobs: Record<string, Job> };

/** Runs action-validator on one file: its exit code and what it wrote. */
function validate(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(VALIDATOR, [file], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : job.needs);
const environmentOf = (job: Job): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);
const concurrencyOf = (job: Job): string | undefined => (typeof job.concurrency === 'string' ? job.concurrency : job.concurrency?.group);
const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
const job = (wf: Workflow, id: string): Job => {
  const found = wf.jobs[id];
  if (!found) throw new Error(`no job ${id} (jobs: ${Object.keys(wf.jobs).join(', ')})`);
  return found;
};

let files: string[] = [];
const workflows = new Map<string, Workflow>();
let services: string[] = [];

beforeAll(async () => {
  files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const f of files) workflows.set(f, parse(await readFile(join(WORKFLOWS, f), 'utf8')) as Workflow);
  services = (await readdir(join(ROOT, 'services'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
});

const ci = (): Workflow => workflows.get('ci.yaml')!;
const release = (): Workflow => workflows.get('release.yaml')!;

describe('action-validator', () => {
  it('finds the two workflows', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yaml', 'release.yaml']));
    expect(existsSync(VALIDATOR), 'npm ci installs @action-validator/cli').toBe(true);
  });

  it('accepts every workflow', async () => {
    const results = await Promise.all(files.map(async (f) => ({ f, ...(await validate(join(WORKFLOWS, f))) })));
    for (const r of results) expect(r.code, `${r.f}:\n${r.output}`).toBe(0);
  });

  describe('refuses a broken workflow', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'emporium-workflow-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('a step with both uses and run, and a job without runs-on', async () => {
      const file = join(dir, 'broken.yaml');
      await writeFile(file, ['name: broken', 'on: push', 'jobs:', '  build:', '    steps:', '      - uses: actions/checkout@v4', '        run: npm ci', ''].join('\n'));
      const { code, output } = await validate(file);
      expect(code).not.toBe(0);
      expect(output).toMatch(/errors/);
    });

    it('an unknown trigger', async () => {
      const file = join(dir, 'trigger.yaml');
      await writeFile(file, ['on: pushed', 'jobs:', '  a:', '    runs-on: ubuntu-24.04', '    steps:', '      - run: echo', ''].join('\n'));
      expect((await validate(file)).code).not.toBe(0);
    });
  });
});

describe('every workflow', () => {
  it('installs with npm ci only (the lock must be in sync), before any npm script', () => {
    for (const [f, wf] of workflows) {
      for (const [id, j] of Object.entries(wf.jobs)) {
        const runs = (j.steps ?? []).map((s) => s.run ?? '');
        for (const run of runs) {
          for (const m of run.matchAll(/\bnpm\s+(install|i|in|add|isntall|ci)\b/g)) expect(m[1], `${f} ${id}: ${run}`).toBe('ci');
          expect(run, `${f} ${id}`).not.toMatch(/\b(yarn|pnpm)\s+(install|add)\b/);
        }
        const firstScript = runs.findIndex((r) => /\bnpm\s+(test|run)\b/.test(r));
        if (firstScript >= 0) expect(runs.slice(0, firstScript).some((r) => /\bnpm ci\b/.test(r)), `${f} ${id}: npm ci before the scripts`).toBe(true);
      }
    }
  });

  it('pins each action to a major version tag', () => {
    for (const [f, wf] of workflows) {
      const uses = [...allSteps(wf).map((s) => s.uses), ...Object.values(wf.jobs).map((j) => j.uses)].filter((u): u is string => !!u);
      for (const u of uses) {
        if (u.startsWith('./')) continue;
        expect(u, f).toMatch(/^[\w.-]+\/[\w./-]+@v\d+$/);
      }
    }
  });

  it('reads secrets only through env, never inline in a script', () => {
    for (const [f, wf] of workflows) for (const s of allSteps(wf)) expect(s.run ?? '', `${f}: ${s.name ?? s.run}`).not.toMatch(/\$\{\{\s*secrets\./);
  });
});

describe('ci.yaml', () => {
  it('runs on pull requests, and release.yaml calls it', () => {
    expect(Object.keys(ci().on)).toEqual(expect.arrayContaining(['pull_request', 'workflow_call']));
  });

  it('runs npm test with CI=true, after npm ci', () => {
    const test = Object.values(ci().jobs).find((j) => (j.steps ?? []).some((s) => s.run?.trim() === 'npm test'));
    expect(test, 'a job runs `npm test`').toBeDefined();
    const step = test!.steps!.find((s) => s.run?.trim() === 'npm test')!;
    expect(String(step.env?.CI ?? test!.env?.CI)).toBe('true');
    expect(test!.steps!.some((s) => s.uses?.startsWith('actions/setup-node@') && String(s.with?.['node-version']) === '20' && s.with?.cache === 'npm')).toBe(true);
  });

  it('gives the tests the servers they look for, under the names they read', async () => {
    const test = Object.values(ci().jobs).find((j) => (j.steps ?? []).some((s) => s.run?.trim() === 'npm test'))!;
    // The variables packages/testing reads: whichever they are, the job sets each one.
    const source = await readFile(join(ROOT, 'packages/testing/src/servers.ts'), 'utf8');
    const names = [...source.matchAll(/env\.(TEST_[A-Z_]+)/g)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['TEST_DATABASE_URL', 'TEST_NATS_URL']));
    for (const n of names) expect(test.env?.[n], n).toBeTruthy();
    expect(String(test.env?.TEST_DATABASE_URL)).toMatch(/^postgres:\/\/[^/]*127\.0\.0\.1:5432\//);
    expect(String(test.env?.TEST_NATS_URL)).toBe('nats://127.0.0.1:4222');

    const images = Object.values(test.services ?? {}).map((s) => s.image);
    expect(images).toEqual(expect.arrayContaining(['postgres:16', 'redis:7']));
    expect(Object.values(test.services ?? {}).flatMap((s) => s.ports ?? [])).toEqual(expect.arrayContaining(['5432:5432', '6379:6379']));
    // Service containers take no arguments: NATS is started by a step, with JetStream on.
    expect(test.steps!.some((s) => /docker run\b.*-p 4222:4222\b.*nats:2\.10\b.*\s-js\b/.test(s.run ?? ''))).toBe(true);
    // test/browser/browser.ts looks for /usr/bin/chromium.
    expect(test.steps!.some((s) => (s.run ?? '').includes('/usr/bin/chromium'))).toBe(true);
    // The deploy tests' tools.
    expect(test.steps!.some((s) => s.uses?.startsWith('azure/setup-kubectl@'))).toBe(true);
    expect(test.steps!.some((s) => (s.run ?? '').includes('docker-compose version'))).toBe(true);
    expect(test.steps!.some((s) => (s.run ?? '').includes('promtool --version'))).toBe(true);
  });

  it('builds the bundles and both Dockerfile targets', () => {
    const steps = allSteps(ci());
    expect(steps.some((s) => s.run?.trim() === 'npm run build')).toBe(true);
    const targets = steps.filter((s) => s.uses?.startsWith('docker/build-push-action@')).map((s) => s.with?.target);
    expect(targets).toEqual(expect.arrayContaining(['service', 'all-in-one']));
  });
});

describe('release.yaml', () => {
  it('runs on pushes to main, after CI', () => {
    const on = release().on as { push?: { branches?: string[] } };
    expect(on.push?.branches).toEqual(['main']);
    expect(job(release(), 'ci').uses).toBe('./.github/workflows/ci.yaml');
    expect(needsOf(job(release(), 'images'))).toContain('ci');
    expect(needsOf(job(release(), 'all-in-one'))).toContain('ci');
    expect(needsOf(job(release(), 'deploy-staging'))).toContain('ci');
  });

  it('has one paths filter per service directory, each with what every image contains', () => {
    const filter = job(release(), 'changes').steps!.find((s) => s.id === 'filter');
    expect(filter?.uses).toMatch(/^dorny\/paths-filter@v\d+$/);
    const filters = parse(String(filter!.with!.filters)) as Record<string, string[]>;
    expect(Object.keys(filters).sort()).toEqual(services);
    for (const svc of services) {
      expect(filters[svc], svc).toEqual(expect.arrayContaining([`services/${svc}/**`, 'packages/**', 'package-lock.json', 'Dockerfile']));
      // No filter of one service may match another's directory.
      for (const other of services) if (other !== svc) expect(filters[svc]!.some((p) => p.startsWith(`services/${other}/`)), `${svc} vs ${other}`).toBe(false);
    }
    expect(filters.gateway).toContain('web/**'); // the gateway serves web/dist
  });

  it('builds a matrix of exactly the changed services, and none when none changed', () => {
    const changes = job(release(), 'changes');
    const images = job(release(), 'images');
    // The matrix is the filter's list of matched names, i.e. names of service directories only.
    expect(images.strategy?.matrix?.service).toBe('${{ fromJSON(needs.changes.outputs.services) }}');
    expect(changes.outputs?.services).toBe('${{ steps.pick.outputs.services }}');
    const pick = changes.steps!.find((s) => s.id === 'pick')!;
    expect(pick.env?.CHANGED).toBe('${{ steps.filter.outputs.changes }}');
    expect(pick.run).toMatch(/find services -mindepth 1 -maxdepth 1 -type d/);
    // An empty matrix is an error in GitHub Actions: the job is skipped instead.
    expect(images.if).toMatch(/needs\.changes\.outputs\.services != '\[\]'/);
  });

  it('pushes :<full sha> images to GHCR with an SBOM and provenance', () => {
    for (const id of ['images', 'all-in-one']) {
      const j = job(release(), id);
      expect(j.permissions?.packages, id).toBe('write');
      const login = j.steps!.find((s) => s.uses?.startsWith('docker/login-action@'));
      expect(login?.with?.registry).toBe('ghcr.io');
      expect(login?.with?.password).toBe('${{ secrets.GITHUB_TOKEN }}');
      expect(j.steps!.some((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBe(true);
      const build = j.steps!.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
      expect(build.with).toMatchObject({ push: true, sbom: true, provenance: true });
      expect(String(build.with!.tags)).toMatch(/:\$\{\{ github\.sha \}\}$/);
    }
    const service = job(release(), 'images').steps!.find((s) => s.uses?.startsWith('docker/build-push-action@'))!.with!;
    expect(service).toMatchObject({ target: 'service', 'build-args': 'SERVICE=${{ matrix.service }}' });
    expect(String(service.tags)).toBe('${{ needs.changes.outputs.image_prefix }}-${{ matrix.service }}:${{ github.sha }}');
    expect(job(release(), 'all-in-one').steps!.find((s) => s.uses?.startsWith('docker/build-push-action@'))!.with!.target).toBe('all-in-one');
    // ghcr.io/<owner>/emporium, with the owner in lower case.
    expect(job(release(), 'changes').steps!.find((s) => s.id === 'pick')!.run).toContain('image_prefix=ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/emporium');
  });

  it('deploys to staging, then to production behind its environment, one deploy at a time', () => {
    const staging = job(release(), 'deploy-staging');
    const production = job(release(), 'deploy-production');
    expect(environmentOf(staging)).toBe('staging');
    expect(environmentOf(production)).toBe('production');
    expect(needsOf(production)).toContain('deploy-staging');
    expect(needsOf(staging)).toContain('images');
    expect(concurrencyOf(staging)).toBeTruthy();
    expect(concurrencyOf(production)).toBeTruthy();
    expect(concurrencyOf(staging)).not.toBe(concurrencyOf(production));
    for (const j of [staging, production]) {
      const concurrency = j.concurrency as { 'cancel-in-progress'?: boolean };
      expect(concurrency['cancel-in-progress'], 'a deploy in progress is never cancelled').toBe(false);
      const script = j.steps!.map((s) => s.run ?? '').join('\n');
      expect(script).toContain('kustomize edit set image');
      expect(script).toContain('kustomize edit set namespace');
      expect(script).toContain('kubectl apply -k "$OVERLAY"');
      expect(script).toMatch(/kubectl -n "\$NAMESPACE" rollout status "deployment\/\$svc"/);
      expect(j.env?.OVERLAY).toBe('deploy/k8s/overlays/prod');
    }
    expect(String(staging.env?.NAMESPACE)).toContain('emporium-staging');
    // Production gets the very images staging runs.
    expect(production.env?.IMAGES).toBe('${{ needs.deploy-staging.outputs.images }}');
    // The smoke test: both URLs, non-2xx fails.
    const smoke = staging.steps!.find((s) => s.name === 'Smoke test')!.run!;
    expect(smoke).toContain('/health/ready');
    expect(smoke).toContain('/api/v1/products?limit=1');
    expect(smoke).toMatch(/!= 2\?\?/);
  });

  it('matches the manifests: the prod overlay names its namespace, a Deployment per service runs emporium/<service>', async () => {
    const overlay = join(ROOT, 'deploy/k8s/overlays/prod/kustomization.yaml');
    // deploy-production reads it with sed '^namespace:'.
    expect(await readFile(overlay, 'utf8')).toMatch(/^namespace:\s*\S+/m);
    const images = new Map<string, string>();
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) await walk(path);
        else if (/\.ya?ml$/.test(e.name)) {
          for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
            const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: { image?: string }[] } } } } | null;
            if (o?.kind === 'Deployment' && o.metadata?.name) images.set(o.metadata.name, o.spec?.template?.spec?.containers?.[0]?.image ?? '');
          }
        }
      }
    };
    await walk(join(ROOT, 'deploy/k8s/base'));
    for (const svc of services) expect(images.get(svc), `Deployment ${svc}`).toMatch(new RegExp(`^emporium/${svc}(:|$)`));
  });
});
