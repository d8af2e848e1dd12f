/**
 * bench:gateway — the same GET measured three ways in one run: straight at the service, through
 * nginx (upstream keepalive), and through the Emporium gateway with all its features on (edge
 * JWT check, per-IP and per-user rate limits, tracing, metrics, CORS and security headers).
 * It runs twice: with a trivial upstream (the proxies' own cost) and with the real catalog
 * service (what a shopper sees). Results: a table on stdout and bench/results/gateway.json.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ApiClient } from '../tools/src/api-client.ts';
import { ROOT, spawnTs, stopProcess, waitReady, type ServerProcess } from '../tools/src/processes.ts';
import { DEV_ACCOUNTS } from '../tools/src/services.ts';
import { gatewayChart } from './gateway-chart.ts';
import { fixedRate, type FixedRateResult } from './lib/fixed-rate.ts';
import { ensureCommand, machine, table } from './lib/setup.ts';
import { wrk, type WrkResult } from './lib/wrk.ts';

const SECONDS = 10;
const FIXED_RPS = 5_000;
const PORTS = { identity: 19101, catalog: 19102, trivial: 19190, gatewayCatalog: 19080, gatewayTrivial: 19081, nginxCatalog: 19180, nginxTrivial: 19181 };

const log = (line: string) => process.stderr.write(`${line}\n`);
/** The services run on PostgreSQL, as in distributed mode, in databases of their own that are dropped afterwards. */
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE_PREFIX = 'bench_gateway';

async function dropBenchDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  for (const service of ['identity', 'catalog']) await admin.query(`DROP DATABASE IF EXISTS "${DATABASE_PREFIX}_${service}" WITH (FORCE)`);
  await admin.end();
}
const quiet = () => {};

function nginxConf(dir: string): string {
  const server = (listen: number, upstream: string) => `
    server {
      listen 127.0.0.1:${listen};
      location /api/v1/ {
        proxy_pass http://${upstream}/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
      }
    }`;
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream catalog { server 127.0.0.1:${PORTS.catalog}; keepalive 128; }
  upstream trivial { server 127.0.0.1:${PORTS.trivial}; keepalive 128; }
  ${server(PORTS.nginxCatalog, 'catalog')}
  ${server(PORTS.nginxTrivial, 'trivial')}
}
`;
}

interface Measured {
  upstream: string;
  via: string;
  url: string;
  peak: WrkResult;
  fixed: FixedRateResult;
}

async function main(): Promise<void> {
  ensureCommand('nginx', 'nginx-light');
  ensureCommand('wrk', 'wrk');
  const dir = await mkdtemp(join(tmpdir(), 'emporium-bench-'));
  await mkdir(join(dir, 'body'));
  const processes: ServerProcess[] = [];
  const base = { NODE_ENV: 'development', LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  const db = { DATABASE_URL, DATABASE_PREFIX };
  await dropBenchDatabases();
  const gatewayEnv = {
    ...base,
    IDENTITY_URL: `http://127.0.0.1:${PORTS.identity}`,
    // Budgets far above the load, so every request is counted but none refused.
    RATE_LIMIT_PER_IP: '100000000',
    RATE_LIMIT_PER_USER: '100000000',
  };
  try {
    log('Starting identity, catalog, a trivial upstream, two gateways and nginx…');
    const identity = spawnTs('identity', `${ROOT}services/identity/src/main.ts`, PORTS.identity, { ...base, ...db }, quiet);
    const catalog = spawnTs('catalog', `${ROOT}services/catalog/src/main.ts`, PORTS.catalog, { ...base, ...db, IDENTITY_URL: gatewayEnv.IDENTITY_URL }, quiet);
    const trivial = spawnTs('trivial', `${ROOT}bench/lib/trivial-upstream.ts`, PORTS.trivial, base, quiet);
    processes.push(identity, catalog, trivial);
    await Promise.all([waitReady(identity), waitReady(catalog), waitReady(trivial, '/')]);
    const gwCatalog = spawnTs('gateway', `${ROOT}services/gateway/src/main.ts`, PORTS.gatewayCatalog, { ...gatewayEnv, CATALOG_URL: catalog.url, IDENTITY_URLS: identity.url }, quiet);
    const gwTrivial = spawnTs('gateway-trivial', `${ROOT}services/gateway/src/main.ts`, PORTS.gatewayTrivial, { ...gatewayEnv, CATALOG_URL: trivial.url, IDENTITY_URLS: identity.url }, quiet);
    processes.push(gwCatalog, gwTrivial);
    await Promise.all([waitReady(gwCatalog), waitReady(gwTrivial)]);
    await writeFile(join(dir, 'nginx.conf'), nginxConf(dir));
    const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' });
    processes.push({ name: 'nginx', url: `http://127.0.0.1:${PORTS.nginxCatalog}`, child: nginx });

    // One product to fetch, created as the admin; the shopper's token rides on every request.
    const api = new ApiClient(gwCatalog.url);
    const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
    await admin.post('/api/v1/categories', { slug: 'bench', name: 'Bench' });
    const created = await admin.post<{ id: string }>('/api/v1/products', {
      sku: `BENCH-${Date.now()}`, name: 'Benchmark Mug', description: 'A mug for measuring.', price: { amount: 1299, currency: 'USD' }, category: 'bench', initialStock: 5,
    });
    if (created.status !== 201) throw new Error(`could not create the benchmark product: ${created.status} ${JSON.stringify(created.body)}`);
    await api.post('/api/v1/auth/register', { email: 'bench@emporium.dev', password: 'bench-password', name: 'Bench' });
    const shopper = await api.post<{ accessToken: string }>('/api/v1/auth/login', { email: 'bench@emporium.dev', password: 'bench-password' });
    const headers = { authorization: `Bearer ${shopper.body.accessToken}` };
    const path = `/products/${created.body.id}`;

    const targets = [
      { upstream: 'trivial', via: 'direct', url: `${trivial.url}${path}` },
      { upstream: 'trivial', via: 'nginx', url: `http://127.0.0.1:${PORTS.nginxTrivial}/api/v1${path}` },
      { upstream: 'trivial', via: 'gateway', url: `${gwTrivial.url}/api/v1${path}` },
      { upstream: 'catalog', via: 'direct', url: `${catalog.url}${path}` },
      { upstream: 'catalog', via: 'nginx', url: `http://127.0.0.1:${PORTS.nginxCatalog}/api/v1${path}` },
      { upstream: 'catalog', via: 'gateway', url: `${gwCatalog.url}/api/v1${path}` },
    ];
    for (const t of targets) {
      const check = await fetch(t.url, { headers });
      if (check.status !== 200) throw new Error(`${t.upstream} via ${t.via} answered ${check.status}`);
    }

    const results: Measured[] = [];
    let directPeak = 0;
    for (const [i, t] of targets.entries()) {
      log(`[${i + 1}/${targets.length}] ${t.upstream} via ${t.via}: ${SECONDS} s at full speed, then ${SECONDS} s at a fixed rate…`);
      await wrk(t.url, { threads: 1, connections: 32, seconds: 2, headers }); // warm-up (JIT, pools)
      const peak = await wrk(t.url, { threads: 2, connections: 64, seconds: SECONDS, headers });
      if (t.via === 'direct') directPeak = peak.rps;
      // The catalog may not sustain 5,000 req/s: it is then measured at half its own peak.
      const rps = Math.min(FIXED_RPS, Math.floor(directPeak / 2 / 100) * 100);
      const fixed = await fixedRate(t.url, { rps, seconds: SECONDS, headers });
      results.push({ ...t, peak, fixed });
    }

    const find = (upstream: string, via: string) => results.find((r) => r.upstream === upstream && r.via === via)!;
    const summary = ['trivial', 'catalog'].map((upstream) => {
      const nginx = find(upstream, 'nginx');
      const gateway = find(upstream, 'gateway');
      return {
        upstream,
        gatewayToNginxThroughput: gateway.peak.rps / nginx.peak.rps,
        gatewayP99OverNginxMs: gateway.fixed.p99Ms - nginx.fixed.p99Ms,
        fixedRps: gateway.fixed.targetRps,
      };
    });

    process.stdout.write(`\n${table(results.map((r) => ({
      upstream: r.upstream,
      via: r.via,
      'peak req/s': Math.round(r.peak.rps),
      'peak p50 ms': r.peak.p50Ms,
      'peak p99 ms': r.peak.p99Ms,
      'fixed req/s': r.fixed.targetRps,
      'fixed p50 ms': r.fixed.p50Ms,
      'fixed p99 ms': r.fixed.p99Ms,
      'fixed p99.9 ms': r.fixed.p999Ms,
      errors: r.peak.non2xx + r.peak.socketErrors + r.fixed.errors,
    })))}\n\n${table(summary.map((s) => ({
      upstream: s.upstream,
      'gateway/nginx throughput': s.gatewayToNginxThroughput,
      'target ≥': 0.45,
      'gateway p99 − nginx p99 (ms)': s.gatewayP99OverNginxMs,
      'at req/s': s.fixedRps,
      'target ≤ ms': 0.75,
    })))}\n`);

    await mkdir(join(ROOT, 'bench/results'), { recursive: true });
    const out = join(ROOT, 'bench/results/gateway.json');
    const document = { benchmark: 'gateway', machine: machine(), seconds: SECONDS, load: { peak: 'wrk -t2 -c64', fixed: 'open loop, latency from the due time' }, results, summary };
    await writeFile(out, `${JSON.stringify(document, null, 2)}\n`);
    await writeFile(join(ROOT, 'bench/results/gateway.svg'), gatewayChart(document));
    log(`Wrote ${out} and gateway.svg`);
  } finally {
    await Promise.all(processes.map((p) => stopProcess(p.child, 5_000)));
    await rm(dir, { recursive: true, force: true });
    await dropBenchDatabases().catch(() => {});
  }
}

await main();
