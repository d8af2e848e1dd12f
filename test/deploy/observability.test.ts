import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { buildService, type BuiltService } from '@emporium/kit';
import gateway from '@emporium/gateway';
import orders from '@emporium/orders';
import { IN_CI, pglite, startTestService, testTokens, type TestService } from '@emporium/testing';
import { PROMETHEUS_RULE_FILE, RULES_FILE, renderPrometheusRule } from '../../tools/src/deploy/prometheus-rule.ts';

/**
 * The observability configuration of deploy/observability (and the PrometheusRule generated from
 * its rules): promtool checks and unit-tests the rules and the Prometheus config, the metrics the
 * rules and dashboards read are the ones the services export (read from real services built in
 * process), and the dashboards, data sources and collector config fit together.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OBS = 'deploy/observability';
const PROM = `${OBS}/prometheus`;
const TESTS_DIR = `${PROM}/tests`;
const DASHBOARDS_DIR = `${OBS}/grafana/dashboards`;

/** The services, each scraped as a job of its name (compose) on its default port. */
const SERVICES = ['identity', 'catalog', 'inventory', 'cart', 'orders', 'payments', 'shipping', 'notifications', 'recommendations', 'gateway'];

const run = promisify(execFile);
const read = (path: string) => readFile(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------
// promtool: on the PATH, or the tests that need it are skipped, except under CI, where they fail.

const PROMTOOL = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const withPromtool = PROMTOOL || IN_CI ? it : it.skip;

/** Runs promtool; a failure throws with what promtool printed. */
async function promtool(args: string[]): Promise<string> {
  if (!PROMTOOL) throw new Error('promtool is not installed (Debian: apt-get install prometheus); CI=true requires it.');
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    return stdout + stderr;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// The files.

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}
interface RuleTest {
  alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }> }>;
}
interface Target {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; datasource?: { uid?: string }; query?: string | { query: string }; definition?: string }> };
}

const rulesText = await read(RULES_FILE);
const groups = (parse(rulesText) as { groups: RuleGroup[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const testFiles = (await readdir(join(ROOT, TESTS_DIR))).filter((f) => f.endsWith('.test.yaml')).sort();
const dashboardFiles = (await readdir(join(ROOT, DASHBOARDS_DIR))).filter((f) => f.endsWith('.json')).sort();
const dashboards = await Promise.all(dashboardFiles.map(async (f) => ({ file: f, text: await read(`${DASHBOARDS_DIR}/${f}`) })));
const datasources = (parse(await read(`${OBS}/grafana/provisioning/datasources/datasources.yaml`)) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources;

// ---------------------------------------------------------------------------------------------
// PromQL, enough of it to list the metrics and label matchers an expression reads.

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/** The expression with string literals emptied, so nothing inside them reads as a name. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** The metric names an expression reads (functions, keywords, labels and variables left out). */
function metricNames(expr: string): string[] {
  const names = new Set<string>();
  let s = withoutStrings(expr);
  // label_values(metric, label): Grafana's variable query.
  s = s.replace(/label_values\(\s*([a-zA-Z_:][\w:]*)?\s*(\{[^}]*\})?\s*,\s*\w+\s*\)/g, (_m, name: string | undefined) => {
    if (name) names.add(name);
    return ' ';
  });
  s = s
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of s.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Each selector's metric name with the label names it matches on: `m{a="x",b=~"y"}` → [m, [a, b]]. */
function selectors(expr: string): Array<[string, string[]]> {
  const s = withoutStrings(expr);
  return [...s.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((m) => [m[1]!, [...m[2]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!)]);
}

/** Every PromQL expression of the rules and dashboards, with where it is. */
function expressions(): Array<{ where: string; expr: string }> {
  const out = rules.map((r) => ({ where: `${RULES_FILE}: ${r.alert ?? r.record}`, expr: r.expr }));
  for (const { file, text } of dashboards) {
    const d = JSON.parse(text) as Dashboard;
    for (const p of d.panels) for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file}: ${p.title} ${t.refId}`, expr: t.expr });
    for (const v of d.templating.list) {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      if (q) out.push({ where: `${file}: variable ${v.name}`, expr: q });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the services export: the families in /metrics (`# TYPE` lines, present even before a
// first sample) and, for those with samples, their label names.

interface Exposition {
  families: Map<string, string>;
  labels: Map<string, Set<string>>;
}

function readExposition(text: string, into: Exposition): void {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      into.families.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}/.exec(line);
    if (!sample) continue;
    const names = into.labels.get(sample[1]!) ?? new Set<string>();
    for (const l of sample[2]!.matchAll(/([a-zA-Z_]\w*)="/g)) names.add(l[1]!);
    into.labels.set(sample[1]!, names);
  }
}

/** The family a series name belongs to: a histogram's or summary's `_bucket`, `_sum`, `_count` are its own. */
function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (m && ['histogram', 'summary'].includes(families.get(m[1]!) ?? '')) return m[1]!;
  return undefined;
}

/** Series Prometheus makes itself for each target, and the labels it adds to every series. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
const TARGET_LABELS = new Set(['job', 'instance', 'namespace']);

/** The names `exprs` read that are neither exported, synthetic nor recorded by the rules. */
function unknownNames(exprs: Array<{ where: string; expr: string }>, exposition: Exposition): string[] {
  return exprs.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((n) => !recorded.has(n) && !SYNTHETIC.has(n) && !familyOf(n, exposition.families))
      .map((n) => `${where}: ${n}`),
  );
}

/** The label matchers `exprs` use that the metric's samples do not carry. */
function unknownLabels(exprs: Array<{ where: string; expr: string }>, exposition: Exposition): string[] {
  return exprs.flatMap(({ where, expr }) =>
    selectors(expr).flatMap(([name, labels]) => {
      const known = exposition.labels.get(name);
      if (!known) return [];
      return labels.filter((l) => !known.has(l) && !TARGET_LABELS.has(l)).map((l) => `${where}: ${name}{${l}}`);
    }),
  );
}

// ---------------------------------------------------------------------------------------------

describe('Prometheus rules', () => {
  withPromtool('pass promtool check rules', async () => {
    expect(await promtool(['check', 'rules', RULES_FILE])).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  withPromtool('pass their promtool unit tests', async () => {
    expect(testFiles.length).toBeGreaterThan(0);
    // One promtool per file, side by side: the files are independent.
    const outputs = await Promise.all(testFiles.map((f) => promtool(['test', 'rules', `${TESTS_DIR}/${f}`])));
    for (const out of outputs) expect(out).toContain('SUCCESS');
  });

  it('have unit tests that fire every alert, and see it silent', async () => {
    const cases = new Map<string, { fires: number; silent: number }>();
    for (const f of testFiles) {
      const file = parse(await read(`${TESTS_DIR}/${f}`)) as { rule_files: string[]; tests: RuleTest[] };
      expect(file.rule_files, f).toEqual(['../rules/slo.rules.yaml']);
      for (const t of file.tests) {
        for (const c of t.alert_rule_test ?? []) {
          const seen = cases.get(c.alertname) ?? { fires: 0, silent: 0 };
          if (c.exp_alerts.length) seen.fires += 1;
          else seen.silent += 1;
          cases.set(c.alertname, seen);
        }
      }
    }
    const untested = alerts.filter((a) => !(cases.get(a.alert!)?.fires && cases.get(a.alert!)?.silent)).map((a) => a.alert);
    expect(untested).toEqual([]);
    // Each burn-rate alert is seen silent with only its short window over, and with only its long window over.
    for (const a of alerts.filter((r) => r.labels?.slo)) expect(cases.get(a.alert!)!.silent, a.alert).toBeGreaterThanOrEqual(2);
  });

  it('give every alert a severity, a summary, a description and a runbook in docs/operations.md', async () => {
    const docs = await read('docs/operations.md');
    // GitHub's anchors: the heading in lower case, spaces as dashes, punctuation dropped.
    const anchors = new Set([...docs.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-')));
    const problems: string[] = [];
    for (const a of alerts) {
      if (!['page', 'ticket'].includes(a.labels?.severity ?? '')) problems.push(`${a.alert}: severity ${a.labels?.severity}`);
      if (!a.annotations?.summary || !a.annotations.description) problems.push(`${a.alert}: no summary or description`);
      const runbook = /^docs\/operations\.md#([\w-]+)$/.exec(a.annotations?.runbook_url ?? '');
      if (!runbook) problems.push(`${a.alert}: runbook_url ${a.annotations?.runbook_url}`);
      else if (!anchors.has(runbook[1]!)) problems.push(`${a.alert}: no heading for #${runbook[1]} in docs/operations.md`);
    }
    expect(problems).toEqual([]);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
  });

  it('watch the scrape jobs prometheus.yml defines, one per service', async () => {
    const jobs = new Set([...rulesText.matchAll(/job=~"([^"]*)"/g)].map((m) => m[1]!));
    expect([...jobs]).toEqual([SERVICES.join('|')]);
  });

  it('are the spec.groups of the PrometheusRule, generated from them', async () => {
    const text = await read(PROMETHEUS_RULE_FILE);
    const resource = parse(text) as { metadata: { name: string; labels: Record<string, string> }; spec: { groups: RuleGroup[] } };
    expect(resource.metadata.name).toBe('emporium-slo');
    expect(resource.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'emporium', release: 'prometheus' });
    expect(resource.spec.groups).toEqual(groups);
    // Byte for byte what the script writes: run `npx tsx tools/src/deploy/prometheus-rule.ts`.
    expect(text).toBe(renderPrometheusRule(rulesText));
    expect(() => new PrometheusRule(resource as ConstructorParameters<typeof PrometheusRule>[0]).validate()).not.toThrow();
  });
});

describe('prometheus.yml', () => {
  const config = async () =>
    parse(await read(`${PROM}/prometheus.yml`)) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; authorization?: { credentials_file?: string }; static_configs: Array<{ targets: string[] }> }>;
    };

  withPromtool('passes promtool check config, with its rules and token file where it says', async () => {
    // It names the paths compose mounts; promtool checks that they exist, so point them here.
    const dir = await mkdtemp(join(tmpdir(), 'emporium-prometheus-'));
    try {
      await writeFile(join(dir, 'metrics-token'), 'a-scrape-token-for-the-check');
      const original = await read(`${PROM}/prometheus.yml`);
      expect(original).toContain('/etc/prometheus/metrics-token');
      expect(original).toContain('/etc/prometheus/rules/*.rules.yaml');
      const text = original.replaceAll('/etc/prometheus/metrics-token', join(dir, 'metrics-token')).replaceAll('/etc/prometheus/rules/', join(ROOT, PROM, 'rules/'));
      await writeFile(join(dir, 'prometheus.yml'), text);
      const out = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(out).toContain('SUCCESS: 1 rule files found');
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scrapes every service at <service>:<its port>/metrics with the token file, as a job of its name', async () => {
    const { scrape_configs: scrapes, rule_files: ruleFiles } = await config();
    expect(ruleFiles).toEqual(['/etc/prometheus/rules/*.rules.yaml']);
    for (const service of SERVICES) {
      const source = await read(`services/${service}/src/service.ts`);
      const port = /defaultPort:\s*(\d+)/.exec(source)?.[1];
      expect(port, service).toBeDefined();
      const job = scrapes.find((s) => s.job_name === service);
      expect(job?.static_configs.flatMap((c) => c.targets), service).toEqual([`${service}:${port}`]);
      expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
      expect(job?.authorization?.credentials_file, service).toBe('/etc/prometheus/metrics-token');
    }
  });
});

describe('Grafana', () => {
  const uids = new Set(datasources.map((d) => d.uid));

  it('provisions Prometheus and Jaeger, and the dashboards directory', async () => {
    expect(datasources.map(({ uid, type, url }) => ({ uid, type, url }))).toEqual([
      { uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' },
      { uid: 'jaeger', type: 'jaeger', url: 'http://jaeger:16686' },
    ]);
    const providers = (parse(await read(`${OBS}/grafana/provisioning/dashboards/dashboards.yaml`)) as { providers: Array<{ type: string; options: { path: string } }> }).providers;
    expect(providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) })]);
  });

  it('has the RED and sagas dashboards: valid JSON, panels with a provisioned data source and a query each', () => {
    expect(dashboardFiles).toEqual(['red.json', 'sagas.json']);
    const problems: string[] = [];
    const dashboardUids = new Set<string>();
    for (const { file, text } of dashboards) {
      const d = JSON.parse(text) as Dashboard;
      dashboardUids.add(d.uid);
      if (!d.uid || !d.title) problems.push(`${file}: no uid or title`);
      if (d.schemaVersion < 36 || d.schemaVersion > 41) problems.push(`${file}: schemaVersion ${d.schemaVersion}`);
      if (!d.panels.length) problems.push(`${file}: no panels`);
      const ids = new Set<number>();
      for (const p of d.panels) {
        const at = `${file}: panel ${p.id} "${p.title}"`;
        if (ids.has(p.id)) problems.push(`${at}: duplicate id`);
        ids.add(p.id);
        if (!['timeseries', 'stat'].includes(p.type)) problems.push(`${at}: type ${p.type}`);
        const g = p.gridPos;
        if (![g?.h, g?.w, g?.x, g?.y].every((n) => Number.isInteger(n) && n >= 0) || g.x + g.w > 24 || g.h === 0 || g.w === 0) problems.push(`${at}: gridPos ${JSON.stringify(g)}`);
        if (!uids.has(p.datasource?.uid ?? '')) problems.push(`${at}: data source ${p.datasource?.uid}`);
        const targets = p.targets ?? [];
        if (!targets.some((t) => typeof t.expr === 'string' && t.expr.trim())) problems.push(`${at}: no query`);
        for (const t of targets) if (t.datasource && !uids.has(t.datasource.uid ?? '')) problems.push(`${at} ${t.refId}: data source ${t.datasource.uid}`);
      }
      // No two panels on the same cells.
      for (const a of d.panels) {
        for (const b of d.panels) {
          if (a.id >= b.id) continue;
          const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          if (overlap) problems.push(`${file}: panels ${a.id} and ${b.id} overlap`);
        }
      }
      for (const v of d.templating.list) if (v.datasource && !uids.has(v.datasource.uid ?? '')) problems.push(`${file}: variable ${v.name}: data source ${v.datasource.uid}`);
    }
    expect(problems).toEqual([]);
    expect(dashboardUids.size).toBe(dashboards.length);
  });

  it('filters the RED dashboard by a service variable', () => {
    const red = JSON.parse(dashboards.find((d) => d.file === 'red.json')!.text) as Dashboard;
    expect(red.templating.list.map((v) => v.name)).toEqual(['service']);
    for (const p of red.panels) for (const t of p.targets ?? []) expect(t.expr, p.title).toContain('service=~"$service"');
  });

  withPromtool('has queries that parse as PromQL', async () => {
    // Grafana's variables as Prometheus would see them once Grafana has put in their values.
    const queries = expressions().filter((e) => !e.where.includes(': variable '));
    const exprs = queries.map(({ expr }) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$service', '.+'));
    const dir = await mkdtemp(join(tmpdir(), 'emporium-dashboards-'));
    try {
      const file = join(dir, 'dashboards.rules.yaml');
      const doc = { groups: [{ name: 'dashboards', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] };
      await writeFile(file, JSON.stringify(doc));
      expect(await promtool(['check', 'rules', file])).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('OpenTelemetry Collector config', () => {
  it('receives OTLP on 4317 and 4318 and sends traces to Jaeger through a batch', async () => {
    const c = parse(await read(`${OBS}/otel-collector.yaml`)) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } } & Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: { otlp: { endpoint: string; tls: { insecure: boolean } } } & Record<string, unknown>;
      extensions?: Record<string, unknown>;
      service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
    };
    expect(c.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(c.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(c.exporters.otlp).toEqual({ endpoint: 'jaeger:4317', tls: { insecure: true } });
    expect(c.exporters).toHaveProperty('debug');
    const traces = c.service.pipelines.traces!;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.processors).toContain('batch');
    expect(traces.exporters).toEqual(expect.arrayContaining(['otlp', 'debug']));
    // Every component a pipeline names is configured (the collector refuses to start otherwise).
    for (const [name, p] of Object.entries(c.service.pipelines)) {
      for (const r of p.receivers) expect(c.receivers, `${name}: receiver ${r}`).toHaveProperty([r]);
      for (const r of p.processors ?? []) expect(c.processors, `${name}: processor ${r}`).toHaveProperty([r]);
      for (const r of p.exporters) expect(c.exporters, `${name}: exporter ${r}`).toHaveProperty([r]);
    }
    for (const e of c.service.extensions ?? []) expect(c.extensions, `extension ${e}`).toHaveProperty([e]);
  });
});

describe('the metrics the rules and dashboards read', () => {
  // The gateway (its rate limits and breakers, and the kit's metrics that every service has)
  // and orders (sagas, outbox, dead letters) are built in process; /metrics is read through
  // inject with an admin's token.
  const exposition: Exposition = { families: new Map(), labels: new Map() };
  let gw: BuiltService | undefined;
  let ord: TestService | undefined;

  beforeAll(async () => {
    const tokens = await testTokens();
    const admin = await tokens.auth({ roles: ['admin'] });
    [gw, ord] = await Promise.all([
      buildService(gateway, { source: { LOG_LEVEL: 'silent', RATE_LIMIT_PER_IP: '1' }, verifier: tokens.verifier }),
      startTestService(orders, pglite, {}, { start: false }),
    ]);
    // A request observed by the histogram, and one refused by the per-IP budget: their series exist.
    await gw.app.inject({ method: 'GET', url: '/health/live', remoteAddress: '192.0.2.10' });
    await gw.app.inject({ method: 'GET', url: '/health/live', remoteAddress: '192.0.2.10' });
    await ord.app.inject({ method: 'GET', url: '/health/live' });
    const scrape = async (app: BuiltService['app'], auth: Record<string, string>) => {
      const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth, remoteAddress: '192.0.2.11' });
      expect(res.statusCode).toBe(200);
      readExposition(res.body, exposition);
    };
    await scrape(gw.app, admin);
    await scrape(ord.app, await ord.tokens.auth({ roles: ['admin'] }));
  });
  afterAll(async () => {
    await Promise.all([gw?.close(), ord?.close()]);
  });

  it('are read from real exposition', () => {
    for (const name of ['http_server_request_duration_seconds', 'http_client_requests_total', 'http_client_breaker_state', 'gateway_rate_limit_rejections_total', 'messaging_outbox_unpublished', 'messaging_outbox_oldest_unpublished_age_seconds', 'messaging_dead_letters_open', 'orders_sagas']) {
      expect(exposition.families.has(name), name).toBe(true);
    }
    expect(exposition.labels.get('http_server_request_duration_seconds_bucket')).toEqual(new Set(['le', 'service', 'method', 'route', 'status_code']));
    expect(exposition.labels.get('gateway_rate_limit_rejections_total')).toEqual(new Set(['kind', 'service']));
  });

  it('exist: every metric name in the rules and dashboards is exported, recorded by the rules, or made by Prometheus', () => {
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(40);
    expect(unknownNames(exprs, exposition)).toEqual([]);
  });

  it('are matched on labels they carry', () => {
    expect(unknownLabels(expressions(), exposition)).toEqual([]);
  });

  it('would be caught misspelt, or matched on a label they lack', () => {
    const typo = [{ where: 'typo', expr: 'sum by (service) (rate(http_server_request_duration_second_count{route!~"/health/.*"}[5m])) / 1e3 > bool 0.5' }];
    expect(unknownNames(typo, exposition)).toEqual(['typo: http_server_request_duration_second_count']);
    const wrongLabel = [{ where: 'label', expr: 'sum(rate(http_server_request_duration_seconds_count{status="500"}[5m]))' }];
    expect(unknownLabels(wrongLabel, exposition)).toEqual(['label: http_server_request_duration_seconds_count{status}']);
    expect(metricNames('histogram_quantile(0.99, sum by (le, service) (rate(a_bucket{x="y"}[$__rate_interval]))) / on (service) group_left b or vector(0)')).toEqual(['a_bucket', 'b']);
    expect(metricNames('label_values(orders_sagas, status)')).toEqual(['orders_sagas']);
  });
});
