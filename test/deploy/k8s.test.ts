import { describe, expect, it } from 'vitest';
import { ConfigError, parseServiceSettings, serviceSettingsSpec, setting, type ServiceDefinition } from '@emporium/kit';
import { IN_CI } from '@emporium/testing';
import { BACKENDS, GATEWAY, GATEWAY_UPSTREAM_SETTING } from '../../tools/src/services.ts';
import {
  allows,
  clone,
  containersOf,
  describeObject,
  flowText,
  kubectlUnavailable,
  ofKind,
  parseYaml,
  podsOf,
  podTemplate,
  render,
  schemaProblems,
  selects,
  workloads,
  type Container,
  type Endpoint,
  type Flow,
  type K8sObject,
  type Policy,
  type Workload,
} from './k8s-render.ts';

/**
 * The Kubernetes manifests (deploy/k8s): each overlay is rendered with `kubectl kustomize`,
 * every object is validated against its schema, then checked against the deployment contract.
 * Each check returns its problems, so a failure names every offending object at once; the
 * "catches" tests break a rendered object on purpose to show that each check can fail.
 */

const SERVICES: readonly ServiceDefinition[] = [...BACKENDS, GATEWAY];
const definition = new Map(SERVICES.map((d) => [d.name, d]));
const hasDatabase = (d: ServiceDefinition) => d.migrations !== undefined;
const DB_SERVICES = SERVICES.filter(hasDatabase);

// ---------------------------------------------------------------------------------------------
// What each service parses

function settingNames(def: ServiceDefinition): Set<string> {
  return new Set(Object.keys(serviceSettingsSpec(def)));
}

const problemsOf = (def: ServiceDefinition, source: Record<string, string>): string[] => {
  try {
    parseServiceSettings(def, source);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

/** What a service refuses to start without under NODE_ENV=production: required settings, and development defaults production refuses. */
function requiredInProduction(def: ServiceDefinition): string[] {
  return problemsOf(def, { NODE_ENV: 'production' }).flatMap((p) => /^(\w+) (?:is required|must be set in production)/.exec(p)?.[1] ?? []);
}

/** The problems the kit finds with the given values (and not with the settings left out). */
function valueProblems(def: ServiceDefinition, values: Record<string, string>): string[] {
  return problemsOf(def, values).filter((p) => {
    const name = /^(\w+)/.exec(p)?.[1];
    return name !== undefined && Object.hasOwn(values, name) && !/ is required| must be set in production/.test(p);
  });
}

// ---------------------------------------------------------------------------------------------
// A container's environment, resolved from ConfigMaps (and, when rendered, Secrets)

interface EnvEntry {
  value?: string;
  secret?: { name: string; key: string; optional: boolean };
  source: 'literal' | 'configmap' | 'secret' | 'other';
}

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function resolveEnv(objects: readonly K8sObject[], container: Container, where: string, problems: string[]): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = find(objects, 'ConfigMap', from.configMapRef.name ?? '');
      if (!cm) problems.push(`${where}: envFrom ConfigMap ${from.configMapRef.name} is not in the manifests`);
      for (const [k, v] of Object.entries((cm?.data as Record<string, string>) ?? {})) env.set(`${from.prefix ?? ''}${k}`, { value: v, source: 'configmap' });
    } else {
      problems.push(`${where}: envFrom other than a ConfigMap cannot be checked; reference each Secret key with secretKeyRef`);
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      env.set(e.name, { secret: { name: ref.name ?? '', key: ref.key, optional: ref.optional ?? false }, source: 'secret' });
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const value = (find(objects, 'ConfigMap', ref.name ?? '')?.data as Record<string, string> | undefined)?.[ref.key];
      if (value === undefined && !ref.optional) problems.push(`${where}: ${e.name} refers to ConfigMap key ${ref.name}/${ref.key}, which is not in the manifests`);
      env.set(e.name, { ...(value === undefined ? {} : { value }), source: 'configmap' });
    } else if (e.valueFrom) {
      env.set(e.name, { source: 'other' });
    } else {
      env.set(e.name, { value: e.value ?? '', source: 'literal' });
    }
  }
  return env;
}

const literalValues = (env: Map<string, EnvEntry>): Record<string, string> =>
  Object.fromEntries([...env].flatMap(([k, e]) => (e.value === undefined ? [] : [[k, e.value]])));

function secretValue(objects: readonly K8sObject[], name: string, key: string): string | undefined {
  const secret = find(objects, 'Secret', name);
  const data = secret?.data as Record<string, string> | undefined;
  const stringData = secret?.stringData as Record<string, string> | undefined;
  if (data?.[key] !== undefined) return Buffer.from(data[key], 'base64').toString('utf8');
  return stringData?.[key];
}

/** The service a Deployment runs, and the problems with its settings. */
function settingsProblems(objects: readonly K8sObject[], opts: { secretsRendered: boolean }): string[] {
  const problems: string[] = [];
  for (const d of ofKind<Workload>(objects, 'Deployment')) {
    const def = definition.get(d.metadata.name);
    if (!def) {
      problems.push(`${describeObject(d)}: no service of that name`);
      continue;
    }
    const names = settingNames(def);
    for (const { container } of containersOf(d)) {
      const where = `${describeObject(d)} container ${container.name}`;
      const env = resolveEnv(objects, container, where, problems);
      for (const name of env.keys()) if (!names.has(name)) problems.push(`${where}: ${name} is not a setting ${def.name} parses`);
      for (const name of requiredInProduction(def)) if (!env.has(name)) problems.push(`${where}: ${name} is required in production and not set`);
      for (const p of valueProblems(def, literalValues(env))) problems.push(`${where}: ${p}`);
      if (opts.secretsRendered) {
        // Every value is known: the service must accept the whole environment, as it would start.
        const source = literalValues(env);
        for (const [name, e] of env) {
          if (!e.secret) continue;
          const value = secretValue(objects, e.secret.name, e.secret.key);
          if (value === undefined && !e.secret.optional) problems.push(`${where}: ${name} refers to Secret key ${e.secret.name}/${e.secret.key}, which is not generated`);
          if (value !== undefined) source[name] = value;
        }
        for (const p of problemsOf(def, source)) problems.push(`${where}: with every value resolved, ${p}`);
      }
    }
  }
  return problems;
}

/** The values the deployment contract fixes, for every service. */
function contractEnvProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const def of SERVICES) {
    const d = find(objects, 'Deployment', def.name) as Workload | undefined;
    if (!d) continue; // reported by serviceObjectProblems
    for (const { container, init } of containersOf(d)) {
      const where = `${describeObject(d)} container ${container.name}`;
      const env = resolveEnv(objects, container, where, []);
      const want: Record<string, string> = { HOST: '0.0.0.0', PORT: String(def.defaultPort), NODE_ENV: 'production', LOG_LEVEL: 'info', IDENTITY_URL: 'http://identity:8101' };
      if (hasDatabase(def)) want.DATABASE_PREFIX = 'emporium';
      if (hasDatabase(def) && !init) want.MIGRATE_ON_START = 'false';
      if (def.name === 'gateway') {
        for (const [service, name] of Object.entries(GATEWAY_UPSTREAM_SETTING)) want[name] = `http://${service}:${definition.get(service)!.defaultPort}`;
      }
      if (def.name === 'orders') Object.assign(want, { CART_URL: 'http://cart:8104', PAYMENTS_URL: 'http://payments:8106', SHIPPING_URL: 'http://shipping:8107' });
      for (const [name, value] of Object.entries(want)) {
        const got = env.get(name)?.value;
        if (got !== value) problems.push(`${where}: ${name} should be ${value}, is ${got ?? 'unset'}`);
      }
      if (init && env.get('MIGRATE_ON_START')?.value === 'false') problems.push(`${where}: the migrating init container must not set MIGRATE_ON_START=false`);
      if (!env.has('TRUSTED_PROXIES')) problems.push(`${where}: TRUSTED_PROXIES is not set`);
      const fromSecret = ['METRICS_TOKEN', ...(hasDatabase(def) ? ['DATABASE_URL', 'NATS_URL'] : []), ...(def.name === 'identity' ? ['IDENTITY_SIGNING_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'] : [])];
      for (const name of fromSecret) if (!env.get(name)?.secret) problems.push(`${where}: ${name} should come from a Secret (secretKeyRef)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The per-service objects, probes, resources and security

function serviceObjectProblems(objects: readonly K8sObject[], imageTag: string): string[] {
  const problems: string[] = [];
  for (const def of SERVICES) {
    const s = def.name;
    const component = hasDatabase(def) ? 'backend' : 'gateway';
    const wantLabels = { 'app.kubernetes.io/name': s, 'app.kubernetes.io/part-of': 'emporium', 'app.kubernetes.io/component': component };
    const d = find(objects, 'Deployment', s) as Workload | undefined;
    const svc = find(objects, 'Service', s);
    const sa = find(objects, 'ServiceAccount', s);
    const cm = find(objects, 'ConfigMap', `${s}-settings`);
    for (const [kind, o] of [['Deployment', d], ['Service', svc], ['ServiceAccount', sa], ['ConfigMap', cm]] as const) {
      if (!o) problems.push(`${s}: no ${kind}`);
      else for (const [k, v] of Object.entries(wantLabels)) if (o.metadata.labels?.[k] !== v) problems.push(`${describeObject(o)}: label ${k} should be ${v}`);
    }
    if (!d) continue;
    const pod = podTemplate(d);
    for (const [k, v] of Object.entries(wantLabels)) if (pod.metadata?.labels?.[k] !== v) problems.push(`${describeObject(d)}: pod label ${k} should be ${v}`);
    if (!selects(d.spec?.selector, pod.metadata?.labels)) problems.push(`${describeObject(d)}: its selector does not select its pods`);
    if (pod.spec?.serviceAccountName !== s) problems.push(`${describeObject(d)}: serviceAccountName should be ${s}`);
    if (sa && sa.automountServiceAccountToken !== false) problems.push(`${describeObject(sa)}: automountServiceAccountToken should be false`);
    const main = pod.spec?.containers ?? [];
    const inits = pod.spec?.initContainers ?? [];
    const image = `emporium/${s}:${imageTag}`;
    if (main.length !== 1) problems.push(`${describeObject(d)}: should run one container, runs ${main.length}`);
    for (const c of main) {
      if (c.image !== image) problems.push(`${describeObject(d)} container ${c.name}: image should be ${image}, is ${c.image}`);
      if (JSON.stringify(c.command) !== JSON.stringify(['node', `services/${s}/dist/main.js`])) problems.push(`${describeObject(d)} container ${c.name}: command is ${JSON.stringify(c.command)}`);
      const http = c.ports?.find((p) => p.name === 'http');
      if (http?.containerPort !== def.defaultPort) problems.push(`${describeObject(d)} container ${c.name}: port http should be ${def.defaultPort}`);
      if (!c.volumeMounts?.some((m) => m.mountPath === '/tmp')) problems.push(`${describeObject(d)} container ${c.name}: no writable /tmp`);
    }
    if (hasDatabase(def)) {
      const migrate = inits.length === 1 ? inits[0] : undefined;
      if (!migrate) problems.push(`${describeObject(d)}: should have one init container that migrates, has ${inits.length}`);
      else {
        if (migrate.image !== image) problems.push(`${describeObject(d)} init container ${migrate.name}: image should be ${image}`);
        if (JSON.stringify(migrate.command) !== JSON.stringify(['node', `services/${s}/dist/main.js`, 'migrate'])) problems.push(`${describeObject(d)} init container ${migrate.name}: command is ${JSON.stringify(migrate.command)}`);
      }
    } else if (inits.length) problems.push(`${describeObject(d)}: has no database, so no init container`);
    const port = (svc?.spec as { ports?: { name?: string; port: number; targetPort?: string | number }[] } | undefined)?.ports ?? [];
    if (svc && !(port.length === 1 && port[0]!.name === 'http' && port[0]!.port === def.defaultPort && port[0]!.targetPort === 'http')) {
      problems.push(`${describeObject(svc)}: should expose port ${def.defaultPort} named http, targetPort http`);
    }
    const svcSelector = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (svc && !selects({ matchLabels: svcSelector ?? { none: 'none' } }, pod.metadata?.labels)) problems.push(`${describeObject(svc)}: does not select the ${s} pods`);
  }
  return problems;
}

function declaredPort(c: Container, port: string | number | undefined): boolean {
  return (c.ports ?? []).some((p) => p.name === port || p.containerPort === port);
}

/** Startup, liveness and readiness on the kit's health routes, on a declared port. */
function probeProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const want = { startupProbe: '/health/live', livenessProbe: '/health/live', readinessProbe: '/health/ready' } as const;
  for (const w of workloads(objects)) {
    for (const { container: c, init } of containersOf(w)) {
      if (init) continue;
      const where = `${describeObject(w)} container ${c.name}`;
      for (const [probe, path] of Object.entries(want) as [keyof typeof want, string][]) {
        const p = c[probe];
        if (!p) {
          problems.push(`${where}: no ${probe}`);
          continue;
        }
        if (w.kind !== 'Deployment') continue; // PostgreSQL and NATS have their own health checks
        if (p.httpGet?.path !== path) problems.push(`${where}: ${probe} should GET ${path}, gets ${p.httpGet?.path ?? 'nothing'}`);
        if (!declaredPort(c, p.httpGet?.port)) problems.push(`${where}: ${probe} port ${p.httpGet?.port} is not a declared port`);
      }
      const s = c.startupProbe;
      if (w.kind === 'Deployment' && s && (s.failureThreshold ?? 3) * (s.periodSeconds ?? 10) < 60) problems.push(`${where}: the startupProbe allows less than 60 s`);
    }
  }
  return problems;
}

function resourceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    for (const { container: c, init } of containersOf(w)) {
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${describeObject(w)} ${init ? 'init ' : ''}container ${c.name}: no ${resource} ${kind}`);
        }
      }
    }
  }
  return problems;
}

function securityProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const spec = podTemplate(w).spec;
    const pod = spec?.securityContext;
    const where = describeObject(w);
    if (pod?.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot should be true`);
    if (pod?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: pod seccompProfile should be RuntimeDefault`);
    if (!pod?.runAsUser) problems.push(`${where}: pod runAsUser should be a non-root uid`);
    if (w.kind === 'Deployment') {
      for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) if (pod?.[k] !== 10001) problems.push(`${where}: pod ${k} should be 10001`);
    }
    if (spec?.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken should be false`);
    if (spec?.hostNetwork || spec?.hostPID || spec?.hostIPC) problems.push(`${where}: shares a host namespace`);
    for (const { container: c, init } of containersOf(w)) {
      const sc = c.securityContext;
      const cw = `${where} ${init ? 'init ' : ''}container ${c.name}`;
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${cw}: allowPrivilegeEscalation should be false`);
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${cw}: readOnlyRootFilesystem should be true`);
      if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${cw}: capabilities should drop ALL`);
      if (sc?.capabilities?.add?.length) problems.push(`${cw}: adds capabilities`);
      if (sc?.privileged) problems.push(`${cw}: is privileged`);
      if (sc?.runAsUser === 0 || sc?.runAsNonRoot === false) problems.push(`${cw}: runs as root`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Secrets

const SECRET_NAME = /PASSWORD|SECRET|KEY|TOKEN|CREDENTIAL/;
const SECRET_URLS = new Set(['DATABASE_URL', 'REDIS_URL', 'NATS_URL']);
const looksSecret = (name: string) => SECRET_NAME.test(name) || SECRET_URLS.has(name);

/** No Secret carries a value (base, prod), and no secret-looking setting is a literal or in a ConfigMap. */
function secretProblems(objects: readonly K8sObject[], opts: { secretValuesAllowed: boolean }): string[] {
  const problems: string[] = [];
  if (!opts.secretValuesAllowed) {
    for (const s of ofKind(objects, 'Secret')) if (s.data || s.stringData) problems.push(`${describeObject(s)}: carries values; Secrets are created outside these manifests`);
  }
  for (const cm of ofKind(objects, 'ConfigMap')) {
    for (const k of Object.keys((cm.data as object) ?? {})) if (looksSecret(k)) problems.push(`${describeObject(cm)}: ${k} looks secret; take it from a Secret`);
  }
  for (const w of workloads(objects)) {
    for (const { container: c } of containersOf(w)) {
      for (const e of c.env ?? []) {
        if (looksSecret(e.name) && !e.valueFrom?.secretKeyRef) problems.push(`${describeObject(w)} container ${c.name}: ${e.name} should come from a Secret (secretKeyRef)`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicies

function networkCoverageProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const policies = ofKind<Policy>(objects, 'NetworkPolicy');
  const deny = policies.find((p) => p.metadata.name === 'default-deny');
  const empty = (sel: object | undefined) => !sel || Object.keys(sel).length === 0 || Object.values(sel).every((v) => (Array.isArray(v) ? v.length === 0 : !v || Object.keys(v).length === 0));
  if (!deny) problems.push('no default-deny NetworkPolicy');
  else {
    const types = deny.spec?.policyTypes ?? [];
    if (!empty(deny.spec?.podSelector) || !types.includes('Ingress') || !types.includes('Egress') || deny.spec?.ingress?.length || deny.spec?.egress?.length) {
      problems.push('default-deny should select every pod, for Ingress and Egress, with no rule');
    }
  }
  for (const w of workloads(objects)) {
    const labels = podTemplate(w).metadata?.labels;
    if (!policies.some((p) => !empty(p.spec?.podSelector) && selects(p.spec?.podSelector, labels))) problems.push(`${describeObject(w)}: no NetworkPolicy made for its pods selects them`);
  }
  return problems;
}

const TCP = 'TCP' as const;
const UDP = 'UDP' as const;
const INGRESS_CONTROLLER: Endpoint = { name: 'ingress-nginx', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const PROMETHEUS: Endpoint = { name: 'prometheus', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
const KUBE_DNS: Endpoint = { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
/** A pod of another namespace that looks like the gateway: it must reach nothing here. */
const IMPOSTOR: Endpoint = { name: 'gateway-lookalike in namespace default', namespace: 'default', labels: { 'app.kubernetes.io/name': 'gateway', 'app.kubernetes.io/component': 'gateway' } };
const INTERNET: Endpoint = { name: 'internet', ip: '203.0.113.7' };
/** Where the prod overlay's placeholder CIDR (192.0.2.0/24) says PostgreSQL, NATS and Redis are. */
const EXTERNAL_DATA: Endpoint = { name: 'external data stores', ip: '192.0.2.10' };
/** A port nothing listens on: a rule allowing it would allow every port. */
const STRAY_PORT = 9999;

/** Every flow between the namespace's pods and the outside parties, and whether the policies allow it. */
function allowedFlows(objects: readonly K8sObject[], namespace: string): Set<string> {
  const policies = ofKind<Policy>(objects, 'NetworkPolicy');
  const pods = podsOf(objects, namespace);
  const sources = [...pods, INGRESS_CONTROLLER, PROMETHEUS, IMPOSTOR, INTERNET];
  const destinations: { to: Endpoint; port: number; protocol: 'TCP' | 'UDP' }[] = [
    ...pods.flatMap((to) => [...new Set([...Object.values(to.ports ?? {}), STRAY_PORT])].map((port) => ({ to, port, protocol: TCP }))),
    { to: KUBE_DNS, port: 53, protocol: UDP },
    { to: KUBE_DNS, port: 53, protocol: TCP },
    { to: INTERNET, port: 443, protocol: TCP },
    ...[5432, 4222, 6379, STRAY_PORT].map((port) => ({ to: EXTERNAL_DATA, port, protocol: TCP })),
  ];
  const allowed = new Set<string>();
  for (const from of sources) {
    for (const d of destinations) {
      const flow: Flow = { from, ...d };
      if (from.namespace !== namespace && d.to.namespace !== namespace) continue; // not governed here
      if (allows(policies, namespace, flow)) allowed.add(flowText(flow));
    }
  }
  return allowed;
}

/** The flows the contract allows, and no other. */
function expectedFlows(objects: readonly K8sObject[], namespace: string, dataStores: 'in-cluster' | 'external'): Set<string> {
  const f = (from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = TCP) => flowText({ from, to, port, protocol });
  const pods = new Map(podsOf(objects, namespace).map((p) => [p.name, p]));
  const pod = (name: string) => pods.get(name) ?? { name, namespace };
  const port = (name: string) => definition.get(name)!.defaultPort;
  const want = new Set<string>();
  want.add(f(INGRESS_CONTROLLER, pod('gateway'), 8080));
  for (const b of BACKENDS) want.add(f(pod('gateway'), pod(b.name), port(b.name)));
  want.add(f(pod('orders'), pod('cart'), 8104));
  want.add(f(pod('orders'), pod('payments'), 8106));
  for (const s of SERVICES) {
    want.add(f(pod(s.name), pod('identity'), 8101));
    want.add(f(PROMETHEUS, pod(s.name), port(s.name)));
  }
  for (const s of DB_SERVICES) {
    if (dataStores === 'in-cluster') {
      want.add(f(pod(s.name), pod('postgres'), 5432));
      want.add(f(pod(s.name), pod('nats'), 4222));
    } else {
      want.add(f(pod(s.name), EXTERNAL_DATA, 5432));
      want.add(f(pod(s.name), EXTERNAL_DATA, 4222));
    }
  }
  if (dataStores === 'external') want.add(f(pod('gateway'), EXTERNAL_DATA, 6379)); // REDIS_URL, the shared rate limit
  for (const p of pods.values()) {
    want.add(f(p, KUBE_DNS, 53, UDP));
    want.add(f(p, KUBE_DNS, 53, TCP));
  }
  return want;
}

function flowProblems(objects: readonly K8sObject[], namespace: string, dataStores: 'in-cluster' | 'external'): string[] {
  const allowed = allowedFlows(objects, namespace);
  const want = expectedFlows(objects, namespace, dataStores);
  return [...[...want].filter((f) => !allowed.has(f)).map((f) => `denied, but the contract needs it: ${f}`), ...[...allowed].filter((f) => !want.has(f)).map((f) => `allowed, but not in the contract: ${f}`)];
}

// ---------------------------------------------------------------------------------------------
// Ingress, monitoring, scaling, the dev data stores, namespaces

function ingressProblems(objects: readonly K8sObject[], host: string): string[] {
  const problems: string[] = [];
  const ingresses = ofKind(objects, 'Ingress');
  if (ingresses.length !== 1) return [`expected one Ingress, found ${ingresses.length}`];
  const ing = ingresses[0]!;
  const spec = ing.spec as { ingressClassName?: string; rules?: { host?: string; http?: { paths: { backend: { service?: { name: string; port: { name?: string; number?: number } } } }[] } }[] };
  const where = describeObject(ing);
  if (spec.ingressClassName !== 'nginx') problems.push(`${where}: class should be nginx`);
  const a = ing.metadata.annotations ?? {};
  if (a['nginx.ingress.kubernetes.io/proxy-buffering'] !== 'off') problems.push(`${where}: proxy buffering should be off (Server-Sent Events)`);
  for (const t of ['proxy-read-timeout', 'proxy-send-timeout']) {
    if (!(Number(a[`nginx.ingress.kubernetes.io/${t}`]) >= 300)) problems.push(`${where}: ${t} should be at least 300 s (Server-Sent Events)`);
  }
  const gateway = find(objects, 'Service', 'gateway');
  const gatewayPorts = (gateway?.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? [];
  for (const rule of spec.rules ?? []) {
    if (rule.host !== host) problems.push(`${where}: host should be ${host}, is ${rule.host}`);
    for (const path of rule.http?.paths ?? []) {
      const svc = path.backend.service;
      const number = svc?.port.number ?? gatewayPorts.find((p) => p.name === svc?.port.name)?.port;
      if (svc?.name !== 'gateway' || number !== 8080) problems.push(`${where}: every path should lead to the gateway Service on 8080`);
    }
  }
  if (!spec.rules?.length) problems.push(`${where}: no rule`);
  return problems;
}

function monitoringProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const monitors = ofKind(objects, 'ServiceMonitor');
  if (monitors.length !== 1) return [`expected one ServiceMonitor, found ${monitors.length}`];
  const sm = monitors[0]!;
  const spec = sm.spec as { selector?: Parameters<typeof selects>[0]; endpoints?: { port?: string; path?: string; bearerTokenSecret?: { name?: string; key: string } }[] };
  for (const svc of ofKind(objects, 'Service')) {
    const isService = definition.has(svc.metadata.name);
    if (selects(spec.selector, svc.metadata.labels) !== isService) problems.push(`${describeObject(sm)}: ${isService ? 'does not select' : 'selects'} ${describeObject(svc)}`);
  }
  const endpoint = spec.endpoints?.find((e) => e.port === 'http' && e.path === '/metrics');
  if (!endpoint) problems.push(`${describeObject(sm)}: no endpoint on port http, path /metrics`);
  // The scrape token must be the one the services accept (their METRICS_TOKEN).
  const tokens = new Set<string>();
  for (const d of ofKind<Workload>(objects, 'Deployment')) {
    for (const { container } of containersOf(d)) {
      const ref = container.env?.find((e) => e.name === 'METRICS_TOKEN')?.valueFrom?.secretKeyRef;
      tokens.add(ref ? `${ref.name}/${ref.key}` : `${d.metadata.name}: none`);
    }
  }
  const bearer = endpoint?.bearerTokenSecret;
  if (tokens.size !== 1 || !bearer || !tokens.has(`${bearer.name}/${bearer.key}`)) {
    problems.push(`${describeObject(sm)}: bearerTokenSecret ${bearer ? `${bearer.name}/${bearer.key}` : 'unset'} should be the services' METRICS_TOKEN Secret (${[...tokens].join(', ')})`);
  }
  if (!find(objects, 'PrometheusRule', 'emporium-slo')) problems.push('no PrometheusRule emporium-slo');
  return problems;
}

function prodScalingProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
  const pdbs = ofKind(objects, 'PodDisruptionBudget');
  for (const d of ofKind<Workload>(objects, 'Deployment')) {
    const where = describeObject(d);
    const replicas = d.spec?.replicas;
    if (replicas !== undefined && replicas < 2) problems.push(`${where}: ${replicas} replica(s); production runs at least 2`);
    const hpa = hpas.find((h) => {
      const ref = (h.spec as { scaleTargetRef?: { kind: string; name: string } }).scaleTargetRef;
      return ref?.kind === 'Deployment' && ref.name === d.metadata.name;
    });
    if (!hpa) problems.push(`${where}: no HorizontalPodAutoscaler`);
    else {
      const spec = hpa.spec as { minReplicas?: number; maxReplicas: number; metrics?: { type: string; resource?: { name: string } }[] };
      if ((spec.minReplicas ?? 1) < 2) problems.push(`${describeObject(hpa)}: minReplicas should be at least 2`);
      if (spec.maxReplicas < (spec.minReplicas ?? 1)) problems.push(`${describeObject(hpa)}: maxReplicas below minReplicas`);
      if (!spec.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')) problems.push(`${describeObject(hpa)}: should scale on CPU`);
    }
    const labels = podTemplate(d).metadata?.labels;
    const pdb = pdbs.find((p) => selects((p.spec as { selector?: Parameters<typeof selects>[0] }).selector, labels));
    if (!pdb) problems.push(`${where}: no PodDisruptionBudget`);
    else {
      const spec = pdb.spec as { minAvailable?: number | string; maxUnavailable?: number | string };
      if (!(spec.minAvailable === 1 || spec.maxUnavailable === 1)) problems.push(`${describeObject(pdb)}: should have minAvailable 1 or maxUnavailable 1`);
    }
  }
  return problems;
}

function devProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const d of ofKind<Workload>(objects, 'Deployment')) if (d.spec?.replicas !== 1) problems.push(`${describeObject(d)}: dev runs one replica`);
  for (const [name, port] of [['postgres', 5432], ['nats', 4222]] as const) {
    const sts = find(objects, 'StatefulSet', name) as Workload | undefined;
    if (!sts) {
      problems.push(`no ${name} StatefulSet`);
      continue;
    }
    if (sts.spec?.replicas !== 1) problems.push(`${describeObject(sts)}: should have one replica`);
    const svc = find(objects, 'Service', name);
    const spec = svc?.spec as { selector?: Record<string, string>; ports?: { port: number }[] } | undefined;
    if (!spec?.ports?.some((p) => p.port === port) || !selects({ matchLabels: spec.selector ?? { none: 'none' } }, podTemplate(sts).metadata?.labels)) {
      problems.push(`the ${name} Service should select the ${name} pods on port ${port}`);
    }
  }
  const nats = find(objects, 'ConfigMap', 'nats-config')?.data as Record<string, string> | undefined;
  if (!/jetstream\s*\{/.test(nats?.['nats.conf'] ?? '')) problems.push('NATS should run with JetStream');
  return problems;
}

function namespaceProblems(objects: readonly K8sObject[], namespace: string): string[] {
  const problems: string[] = [];
  if (!objects.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace)) problems.push(`no Namespace ${namespace}`);
  for (const o of objects) if (o.kind !== 'Namespace' && o.metadata.namespace !== namespace) problems.push(`${describeObject(o)}: namespace ${o.metadata.namespace ?? 'unset'}, not ${namespace}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------

const unavailable = kubectlUnavailable();

if (unavailable && !IN_CI) {
  describe.skip(`the Kubernetes manifests — skipped: ${unavailable}`, () => {});
} else if (unavailable) {
  describe('the Kubernetes manifests', () => {
    it('needs kubectl under CI', () => {
      throw new Error(`${unavailable}. CI=true requires it.`);
    });
  });
} else {
  const cache = new Map<string, K8sObject[]>();
  const rendered = (dir: string) => {
    if (!cache.has(dir)) cache.set(dir, render(dir));
    return cache.get(dir)!;
  };
  const base = () => rendered('base');
  const dev = () => rendered('overlays/dev');
  const prod = () => rendered('overlays/prod');
  const OVERLAYS = [
    { name: 'dev', objects: dev, namespace: 'emporium-dev', dataStores: 'in-cluster', imageTag: 'dev', host: 'shop.localhost', secretsRendered: true },
    { name: 'prod', objects: prod, namespace: 'emporium', dataStores: 'external', imageTag: '0.1.0', host: 'shop.example.com', secretsRendered: false },
  ] as const;

  describe('the kit settings this test relies on', () => {
    it('finds the kit base settings and every service definition', () => {
      expect(Object.keys(serviceSettingsSpec(SERVICES[0]!))).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'IDENTITY_URL', 'TRUSTED_PROXIES', 'METRICS_TOKEN', 'MIGRATE_ON_START']));
      expect(SERVICES.map((d) => d.name).sort()).toEqual(['cart', 'catalog', 'gateway', 'identity', 'inventory', 'notifications', 'orders', 'payments', 'recommendations', 'shipping']);
    });
  });

  describe('the base', () => {
    it('renders objects that match their schemas', () => {
      expect(schemaProblems(base())).toEqual([]);
    });
    it('holds no Secret value: Secrets are referenced by name only', () => {
      expect(ofKind(base(), 'Secret')).toEqual([]);
      expect(secretProblems(base(), { secretValuesAllowed: false })).toEqual([]);
    });
    it('has a Deployment, Service, ServiceAccount and ConfigMap per service, as the contract says', () => {
      expect(serviceObjectProblems(base(), 'latest')).toEqual([]);
      expect(contractEnvProblems(base())).toEqual([]);
    });
    it('sets only settings the services parse, and every one they require', () => {
      expect(settingsProblems(base(), { secretsRendered: false })).toEqual([]);
    });
    it('leaves the namespace to the overlays', () => {
      expect(base().filter((o) => o.metadata.namespace !== undefined).map(describeObject)).toEqual([]);
    });
    it('has the ServiceMonitor and the PrometheusRule', () => {
      expect(monitoringProblems(base())).toEqual([]);
    });
  });

  for (const o of OVERLAYS) {
    describe(`the ${o.name} overlay`, () => {
      it('renders objects that match their schemas', () => {
        expect(schemaProblems(o.objects())).toEqual([]);
      });
      it(`puts everything in the namespace ${o.namespace}`, () => {
        expect(namespaceProblems(o.objects(), o.namespace)).toEqual([]);
      });
      it('keeps the per-service objects, images and commands of the contract', () => {
        expect(serviceObjectProblems(o.objects(), o.imageTag)).toEqual([]);
        expect(contractEnvProblems(o.objects())).toEqual([]);
      });
      it('probes every service on /health/live and /health/ready', () => {
        expect(probeProblems(o.objects())).toEqual([]);
      });
      it('gives every container, init containers too, requests and limits', () => {
        expect(resourceProblems(o.objects())).toEqual([]);
      });
      it('runs every pod as non-root, read-only, without privileges', () => {
        expect(securityProblems(o.objects())).toEqual([]);
      });
      it('takes every secret-looking setting from a Secret', () => {
        expect(secretProblems(o.objects(), { secretValuesAllowed: o.name === 'dev' })).toEqual([]);
      });
      it('sets only settings the services parse, every one they require, with values they accept', () => {
        expect(settingsProblems(o.objects(), { secretsRendered: o.secretsRendered })).toEqual([]);
      });
      it('denies by default, and every pod has its own NetworkPolicy', () => {
        expect(networkCoverageProblems(o.objects())).toEqual([]);
      });
      it('allows exactly the flows of the contract', () => {
        expect(flowProblems(o.objects(), o.namespace, o.dataStores)).toEqual([]);
      });
      it('routes the Ingress to the gateway, with Server-Sent Events unbuffered', () => {
        expect(ingressProblems(o.objects(), o.host)).toEqual([]);
      });
      it('scrapes every service with the metrics token', () => {
        expect(monitoringProblems(o.objects())).toEqual([]);
      });
    });
  }

  describe('the dev overlay only', () => {
    it('runs PostgreSQL and NATS (JetStream) in the cluster, one replica each, and one replica per service', () => {
      expect(devProblems(dev())).toEqual([]);
    });
    it('generates its Secrets with development-only values', () => {
      const names = ofKind(dev(), 'Secret').map((s) => s.metadata.name).sort();
      expect(names).toEqual(['emporium-database', 'emporium-identity', 'emporium-metrics', 'emporium-nats']);
    });
  });

  describe('the prod overlay only', () => {
    it('runs at least two replicas of every service, with an HPA on CPU and a PodDisruptionBudget each', () => {
      expect(prodScalingProblems(prod())).toEqual([]);
    });
    it('contains no Secret: they are created beforehand', () => {
      expect(ofKind(prod(), 'Secret')).toEqual([]);
    });
  });

  describe('the checks catch', () => {
    const deployment = (objects: K8sObject[], name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as Workload;
    const mainContainer = (objects: K8sObject[], name: string) => podTemplate(deployment(objects, name)).spec!.containers[0]!;

    it('an object that breaks its schema, and an unknown kind', () => {
      const objects = clone(prod());
      (deployment(objects, 'cart').spec as { replicas: unknown }).replicas = 'two';
      objects.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
      const problems = schemaProblems(objects);
      expect(problems).toEqual([expect.stringContaining('Deployment/cart'), expect.stringContaining('Widget/w: no schema')]);
    });
    it('a missing readiness probe, or one on the wrong path or port', () => {
      const objects = clone(prod());
      delete mainContainer(objects, 'catalog').readinessProbe;
      mainContainer(objects, 'cart').livenessProbe!.httpGet!.path = '/health';
      mainContainer(objects, 'orders').startupProbe!.httpGet!.port = 'metrics';
      expect(probeProblems(objects).sort()).toEqual([
        'Deployment/cart container cart: livenessProbe should GET /health/live, gets /health',
        'Deployment/catalog container catalog: no readinessProbe',
        'Deployment/orders container orders: startupProbe port metrics is not a declared port',
      ]);
    });
    it('an init container without limits', () => {
      const objects = clone(dev());
      delete podTemplate(deployment(objects, 'payments')).spec!.initContainers![0]!.resources!.limits;
      expect(resourceProblems(objects)).toEqual(['Deployment/payments init container migrate: no cpu limits', 'Deployment/payments init container migrate: no memory limits']);
    });
    it('a pod that may run as root, and a container that may escalate', () => {
      const objects = clone(prod());
      podTemplate(deployment(objects, 'shipping')).spec!.securityContext!.runAsNonRoot = false;
      mainContainer(objects, 'gateway').securityContext!.allowPrivilegeEscalation = true;
      expect(securityProblems(objects).sort()).toEqual(['Deployment/gateway container gateway: allowPrivilegeEscalation should be false', 'Deployment/shipping: pod runAsNonRoot should be true']);
    });
    it('a Secret with a value in the base, and a secret setting given as a literal', () => {
      const objects = clone(base());
      objects.push(...parseYaml('apiVersion: v1\nkind: Secret\nmetadata: {name: leaked}\nstringData: {token: hunter2hunter2hunter2}\n'));
      const env = mainContainer(objects, 'inventory').env!;
      env[env.findIndex((e) => e.name === 'DATABASE_URL')] = { name: 'DATABASE_URL', value: 'postgres://emporium:secret@db/postgres' };
      expect(secretProblems(objects, { secretValuesAllowed: false })).toEqual([
        'Secret/leaked: carries values; Secrets are created outside these manifests',
        'Deployment/inventory container inventory: DATABASE_URL should come from a Secret (secretKeyRef)',
      ]);
    });
    it('a setting the service does not parse, a bad value, and a missing required one', () => {
      const objects = clone(prod());
      mainContainer(objects, 'catalog').env!.push({ name: 'CATALOG_CACHE_SIZE', value: '10' });
      (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'cart-settings')!.data as Record<string, string>).LOG_LEVEL = 'loud';
      const identity = mainContainer(objects, 'identity');
      identity.env = identity.env!.filter((e) => e.name !== 'IDENTITY_SIGNING_KEY');
      expect(settingsProblems(objects, { secretsRendered: false }).sort()).toEqual([
        'Deployment/identity container identity: IDENTITY_SIGNING_KEY is required in production and not set',
        'Deployment/cart container migrate: LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent',
        'Deployment/cart container cart: LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent',
        'Deployment/catalog container catalog: CATALOG_CACHE_SIZE is not a setting catalog parses',
      ].sort());
    });
    it('a required setting the manifests do not set', () => {
      const strict = { ...definition.get('recommendations')!, settings: { RECOMMENDATIONS_MODEL: setting.string().with() } };
      definition.set('recommendations', strict);
      try {
        expect(settingsProblems(prod(), { secretsRendered: false })).toEqual([
          'Deployment/recommendations container migrate: RECOMMENDATIONS_MODEL is required in production and not set',
          'Deployment/recommendations container recommendations: RECOMMENDATIONS_MODEL is required in production and not set',
        ]);
      } finally {
        definition.set('recommendations', SERVICES.find((d) => d.name === 'recommendations')!);
      }
    });
    it('a generated dev Secret the service would refuse', () => {
      const objects = clone(dev());
      const metrics = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'emporium-metrics')!;
      metrics.data = { token: Buffer.from('short').toString('base64') };
      const problems = settingsProblems(objects, { secretsRendered: true });
      expect(problems).toHaveLength(SERVICES.length + DB_SERVICES.length); // every container, init containers too
      expect(problems[0]).toContain('METRICS_TOKEN is invalid');
    });
    it('a missing NetworkPolicy, and one that allows too much', () => {
      const objects = clone(prod()).filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'orders-upstreams-egress'));
      objects.push(...parseYaml('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open-cart, namespace: emporium}\nspec:\n  podSelector: {matchLabels: {app.kubernetes.io/name: cart}}\n  policyTypes: [Ingress]\n  ingress: [{}]\n'));
      const problems = flowProblems(objects, 'emporium', 'external');
      expect(problems).toContain('denied, but the contract needs it: orders -> cart:8104/TCP');
      expect(problems).toContain('denied, but the contract needs it: orders -> payments:8106/TCP');
      expect(problems).toContain('allowed, but not in the contract: ingress-nginx -> cart:8104/TCP');
      expect(problems).toContain('allowed, but not in the contract: ingress-nginx -> cart:9999/TCP');
      expect(problems).not.toContain('allowed, but not in the contract: catalog -> cart:8104/TCP'); // catalog's egress still denies it
    });
    it('a pod no NetworkPolicy of its own selects, and a default deny that lets egress through', () => {
      const objects = clone(dev());
      const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny') as Policy;
      deny.spec!.policyTypes = ['Ingress'];
      objects.push(...parseYaml('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stray, namespace: emporium-dev}\nspec:\n  selector: {matchLabels: {app: stray}}\n  template:\n    metadata: {labels: {app: stray}}\n    spec: {containers: [{name: stray, image: busybox}]}\n'));
      expect(networkCoverageProblems(objects)).toEqual(['default-deny should select every pod, for Ingress and Egress, with no rule', 'Deployment/stray: no NetworkPolicy made for its pods selects them']);
    });
    it('a prod service with one replica, without HPA or PodDisruptionBudget', () => {
      const objects = clone(prod()).filter((o) => !(['HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(o.kind) && o.metadata.name === 'cart'));
      deployment(objects, 'cart').spec!.replicas = 1;
      expect(prodScalingProblems(objects)).toEqual(['Deployment/cart: 1 replica(s); production runs at least 2', 'Deployment/cart: no HorizontalPodAutoscaler', 'Deployment/cart: no PodDisruptionBudget']);
    });
    it('an Ingress that buffers event streams, and a ServiceMonitor with another token', () => {
      const objects = clone(prod());
      delete objects.find((o) => o.kind === 'Ingress')!.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-buffering'];
      const sm = objects.find((o) => o.kind === 'ServiceMonitor')!;
      (sm.spec as { endpoints: { bearerTokenSecret: { name: string } }[] }).endpoints[0]!.bearerTokenSecret.name = 'other';
      expect(ingressProblems(objects, 'shop.example.com')).toEqual(['Ingress/emporium: proxy buffering should be off (Server-Sent Events)']);
      expect(monitoringProblems(objects)).toEqual([expect.stringContaining("bearerTokenSecret other/token should be the services' METRICS_TOKEN Secret")]);
    });
    it('a contract value changed, and a dev data store scaled up', () => {
      const objects = clone(dev());
      (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'gateway-settings')!.data as Record<string, string>).CART_URL = 'http://cart:80';
      (objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats') as Workload).spec!.replicas = 3;
      expect(contractEnvProblems(objects)).toEqual(['Deployment/gateway container gateway: CART_URL should be http://cart:8104, is http://cart:80']);
      expect(devProblems(objects)).toEqual(['StatefulSet/nats: should have one replica']);
    });
  });
}
