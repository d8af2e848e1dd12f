import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger, NatsTransport } from '@emporium/kit';
import { IN_CI, natsUnavailable, otlpCollector, TEST_DATABASE_URL, TEST_NATS_URL } from '@emporium/testing';
import { ApiClient } from '../../tools/src/api-client.ts';
import { waitForOrders } from '../../tools/src/invariants.ts';
import { ROOT, spawnNode, stopProcess, waitReady, type ServerProcess } from '../../tools/src/processes.ts';
import { BACKENDS } from '../../tools/src/services.ts';
import { kubectlUnavailable, render } from './k8s-render.ts';
import { composeConfig, dockerfileServiceCommand, processesFromCompose, processesFromManifests, type ProcessSpec } from './workloads.ts';

/**
 * The deployment files run for real, without a cluster or a container engine: each workload's
 * container command starts as a local process from the build output, with the environment the
 * file gives it. Only addresses change: each Service (or compose service) name becomes a loopback
 * port, PostgreSQL, NATS and Redis become the local servers, the collector a local OTLP receiver.
 * A wrong port, setting name, command, probe path or missing Secret key fails here.
 */

const unavailable = inject('postgresUnavailable') || (await natsUnavailable()) || kubectlUnavailable();
const BUILT = existsSync(`${ROOT}services/gateway/dist/main.js`) && existsSync(`${ROOT}tools/dist/launcher.js`);
/** The servers the files name that this machine runs itself. */
const LOCAL = { postgres: new URL(TEST_DATABASE_URL), nats: new URL(TEST_NATS_URL), redis: new URL('redis://127.0.0.1:6379') };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Rewrites every URL in an env value whose host is one of the files' names to its local address. */
function localize(value: string, hosts: Map<string, string>): string {
  return value.replace(/\b([a-z][a-z0-9+.-]*):\/\/([^/\s,@]*@)?([a-z][a-z0-9-]*)(:\d+)?/g, (whole, scheme: string, auth: string | undefined, host: string) => {
    const local = hosts.get(host);
    return local ? `${scheme}://${auth ?? ''}${local}` : whole;
  });
}

interface RunningPlatform {
  gatewayUrl: string;
  env: Map<string, Record<string, string>>;
  processes: ServerProcess[];
  spans(): Array<{ service: string }>;
  stop(): Promise<void>;
}

/** Starts every process of a deployment file; each init step first, to completion. */
async function runLocally(label: string, specs: ProcessSpec[], prefix: string): Promise<RunningPlatform> {
  const collector = await otlpCollector();
  const ports = new Map<string, number>();
  for (const spec of specs) ports.set(spec.name, await freePort());
  const hosts = new Map<string, string>([
    ['postgres', LOCAL.postgres.host],
    ['nats', LOCAL.nats.host],
    ['redis', LOCAL.redis.host],
    ['otel-collector', new URL(collector.endpoint).host],
    ...[...ports].map(([name, port]): [string, string] => [name, `127.0.0.1:${port}`]),
  ]);
  const lines: string[] = [];
  const processes: ServerProcess[] = [];
  const envs = new Map<string, Record<string, string>>();
  const stop = async () => {
    await Promise.all(processes.map((p) => stopProcess(p.child)));
    await collector.close();
  };
  try {
    await Promise.all(
      specs.map(async (spec) => {
        const [node, ...args] = spec.command;
        expect(node, `${label} ${spec.name}: the container runs node`).toBe('node');
        const port = ports.get(spec.name)!;
        // The files' values, addresses made local, in a namespace of this run's own.
        const envFor = (env: Record<string, string>) => ({
          ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, localize(v, hosts)])),
          HOST: '127.0.0.1',
          DATABASE_PREFIX: prefix,
          EVENTS_NAMESPACE: prefix,
          PASSWORD_SCRYPT_LOG2N: env.NODE_ENV === 'production' ? '15' : '10',
        });
        for (const step of spec.before) {
          const [stepNode, ...stepArgs] = step.command;
          expect(stepNode).toBe('node');
          const code = await new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, stepArgs, { cwd: ROOT, env: envFor(step.env), stdio: ['ignore', 'pipe', 'pipe'] });
            child.stdout.on('data', (d: Buffer) => lines.push(`[${spec.name} init] ${d.toString()}`));
            child.stderr.on('data', (d: Buffer) => lines.push(`[${spec.name} init] ${d.toString()}`));
            child.on('exit', resolve);
          });
          expect(code, `${label} ${spec.name}: its init step ${step.command.join(' ')} exits 0\n${lines.join('')}`).toBe(0);
        }
        const env = { ...envFor(spec.env), PORT: String(port) };
        envs.set(spec.name, env);
        const server = spawnNode(spec.name, args, port, env, (line) => lines.push(line));
        processes.push(server);
        await waitReady(server, spec.readyPath, 60_000);
      }),
    );
  } catch (err) {
    await stop();
    throw new Error(`${label}: ${(err as Error).message}\n${lines.slice(-40).join('\n')}`);
  }
  return { gatewayUrl: `http://127.0.0.1:${ports.get('gateway')}`, env: envs, processes, spans: collector.spans, stop };
}

/** One order through the gateway: an admin adds a product with stock, a new shopper buys it with a test card. */
async function checkout(gatewayUrl: string, admin: { email: string; password: string }): Promise<string> {
  const api = new ApiClient(gatewayUrl);
  const staff = await api.login(admin.email, admin.password);
  const slug = `deploy-${randomUUID().slice(0, 8)}`;
  expect((await staff.post('/api/v1/categories', { slug, name: 'Deploy check' })).status).toBe(201);
  const product = await staff.post<{ id: string }>('/api/v1/products', {
    sku: `D-${randomUUID().slice(0, 12)}`,
    name: 'Deploy check kettle',
    description: 'Bought once by the deployment test.',
    price: { amount: 2_500, currency: 'USD' },
    category: slug,
    initialStock: 3,
  });
  expect(product.status).toBe(201);
  const registered = await api.post<{ accessToken: string }>('/api/v1/auth/register', { email: `deploy-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Deploy Buyer' });
  expect(registered.status).toBe(201);
  const shopper = api.as(registered.body.accessToken);
  // product.created reaches inventory and orders through the broker before the order can be priced and stocked.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stock = await api.get<{ available: number }>(`/api/v1/inventory/${product.body.id}`);
    if (stock.status === 200 && stock.body.available === 3) break;
    if (Date.now() > deadline) throw new Error(`the new product's stock never reached inventory: ${stock.status} ${JSON.stringify(stock.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const order = await shopper.post<{ id: string }>(
    '/api/v1/orders',
    { items: [{ productId: product.body.id, quantity: 1 }], shippingAddress: { name: 'Deploy Buyer', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' }, payment: { cardNumber: '4242424242424242' } },
    { 'idempotency-key': randomUUID() },
  );
  expect(order.status).toBe(202);
  const settled = await waitForOrders(staff, [order.body.id], 30_000);
  return settled.get(order.body.id)!.status;
}

async function cleanUp(prefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}\\_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const nats = await NatsTransport.connect({ url: TEST_NATS_URL, namespace: prefix, log: createLogger('deploy-test', 'silent') });
  for (const def of BACKENDS) await nats.deleteStream(def.name);
  await nats.close();
}

/** The role the files' database URLs sign in as; the local server trusts loopback connections. */
async function ensureRole(url: string): Promise<void> {
  const user = decodeURIComponent(new URL(url).username);
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    if (!found.rowCount) await admin.query(`CREATE ROLE "${user.replaceAll('"', '""')}" LOGIN CREATEDB`).catch((err: { code?: string }) => {
      if (err.code !== '42710') throw err; // created meanwhile by a parallel run
    });
  } finally {
    await admin.end();
  }
}

const suites: Array<{ label: string; specs: () => ProcessSpec[]; admin: (specs: ProcessSpec[]) => { email: string; password: string } }> = [
  {
    label: 'Kubernetes dev overlay',
    specs: () => processesFromManifests(render('overlays/dev')),
    admin: (specs) => {
      const identity = specs.find((s) => s.name === 'identity')!;
      return { email: identity.env.ADMIN_EMAIL!, password: identity.env.ADMIN_PASSWORD! };
    },
  },
  {
    label: 'compose file',
    specs: () => processesFromCompose(composeConfig(), dockerfileServiceCommand(readFileSync(`${ROOT}Dockerfile`, 'utf8'))),
    // compose runs in development by default: identity creates the development admin.
    admin: () => ({ email: 'admin@emporium.dev', password: 'emporium-admin' }),
  },
];

if (unavailable || !BUILT) {
  const reason = unavailable ?? 'the build output is missing: run `npm run bundle` first (npm test does)';
  if (IN_CI) {
    describe('the deployment files, run as local processes', () => {
      it('needs PostgreSQL, NATS, kubectl and the build under CI', () => {
        throw new Error(`${reason}. CI=true requires it.`);
      });
    });
  } else describe.skip(`the deployment files, run as local processes — skipped: ${reason}`, () => {});
} else {
  describe('the deployment files, run as local processes', () => {
    const prefixes: string[] = [];
    afterAll(async () => {
      for (const prefix of prefixes) await cleanUp(prefix);
    }, 60_000);

    for (const suite of suites) {
      it(`starts every workload of the ${suite.label} from the build output and checks out one order through its gateway`, async () => {
        const specs = suite.specs();
        // Every service of the platform is there, each exactly once, and the gateway.
        expect(specs.map((s) => s.name).sort()).toEqual([...BACKENDS.map((d) => d.name), 'gateway'].sort());
        for (const spec of specs) expect(spec.command.slice(0, 2), spec.name).toEqual(['node', `services/${spec.name}/dist/main.js`]);
        const database = specs.find((s) => s.env.DATABASE_URL)?.env.DATABASE_URL;
        expect(database).toBeDefined();
        await ensureRole(database!);
        const prefix = `deploy_${randomBytes(3).toString('hex')}`;
        prefixes.push(prefix);
        const platform = await runLocally(suite.label, specs, prefix);
        try {
          expect(await checkout(platform.gatewayUrl, suite.admin(specs))).toBe('CONFIRMED');
          // Traces went where the files send them, from the services the order passed through.
          // Each exporter sends its batch every few seconds.
          const traced = () => [...new Set(platform.spans().map((s) => s.service))].filter((s) => ['gateway', 'orders', 'payments'].includes(s)).sort();
          if (specs.some((s) => s.env.OTEL_EXPORTER_OTLP_ENDPOINT)) await expect.poll(traced, { timeout: 20_000, interval: 250 }).toEqual(['gateway', 'orders', 'payments']);
          else expect(platform.spans()).toEqual([]);
        } finally {
          await platform.stop();
        }
      }, 240_000);
    }
  });
}
