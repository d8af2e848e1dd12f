import { execFileSync } from 'node:child_process';
import { BlockList, isIPv4 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

/**
 * Renders the Kustomize trees under deploy/k8s with `kubectl kustomize`, validates each object
 * against the Kubernetes (and Prometheus Operator) schemas, and evaluates NetworkPolicies.
 */

export const K8S_DIR = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url));

/** Any rendered object; the typed views below narrow it by kind. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type Workload = (IDeployment | IStatefulSet) & K8sObject;
export type Container = IContainer;
export type PodTemplate = IPodTemplateSpec;
export type Policy = INetworkPolicy & K8sObject;

/** Why kubectl cannot render here, or undefined when it can. */
export function kubectlUnavailable(): string | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `kubectl is not installed or does not run (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Renders a kustomization directory (relative to deploy/k8s) and parses its documents. */
export function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', `${K8S_DIR}${dir}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000, maxBuffer: 32 * 1024 * 1024 });
  return parseYaml(out);
}

export function parseYaml(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`unparsable YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

/** A deep copy, for tests that break a rendered object on purpose. */
export const clone = <T>(value: T): T => structuredClone(value);

export const describeObject = (o: K8sObject): string => `${o.kind}/${o.metadata?.name ?? '?'}`;

/**
 * The object as the API server decodes it. kubectl kustomize folds long base64 values of a
 * Secret's data over several lines; the API server's decoder skips the line breaks, the schema's
 * "byte" format does not.
 */
function apiServerView(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || !o.data) return o;
  const data = Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]));
  return { ...o, data };
}

type Model = new (data: never) => { validate(): void };
/** The schema of each apiVersion+kind the manifests may contain; any other kind is refused. */
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/**
 * Validates every object against its schema. Note: the kubernetes-models schemas do not refuse
 * unknown fields, so a misspelt optional field passes here; the policy checks catch the ones
 * that matter (probes, resources, security context).
 */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!model) {
      problems.push(`${describeObject(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new model(apiServerView(o) as never).validate();
    } catch (err) {
      problems.push(`${describeObject(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

export const ofKind = <T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];

export const workloads = (objects: readonly K8sObject[]): Workload[] => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Workload[];

export function podTemplate(w: Workload): PodTemplate {
  return w.spec?.template ?? {};
}

export function containersOf(w: Workload): { container: Container; init: boolean }[] {
  const spec = podTemplate(w).spec;
  return [...(spec?.initContainers ?? []).map((container) => ({ container, init: true })), ...(spec?.containers ?? []).map((container) => ({ container, init: false }))];
}

// ---------------------------------------------------------------------------------------------
// Label selectors and NetworkPolicies

type Selector = NonNullable<IDeployment['spec']>['selector'];

/** Whether a label selector matches labels. An empty selector matches everything. */
export function selects(selector: Selector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A party to a connection: a pod (in or out of the manifests' namespace) or an outside address. */
export interface Endpoint {
  /** How the endpoint is shown in a flow: a workload's name, or a label for an outside party. */
  name: string;
  /** Pods have a namespace and labels; an outside address has neither. */
  namespace?: string;
  labels?: Record<string, string>;
  ip?: string;
  /** The container ports a pod declares, by name, for named ports in policies. */
  ports?: Record<string, number>;
}

export interface Flow {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol: 'TCP' | 'UDP';
}

type Peer = NonNullable<NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number]['from']>[number];
type PolicyPort = NonNullable<NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number]['ports']>[number];

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!other.ip) return false; // pod addresses are not matched by ipBlock here (implementation-specific)
    const family = isIPv4(other.ip) ? 'ipv4' : 'ipv6';
    const within = (cidr: string) => {
      const [address, prefix] = cidr.split('/');
      const list = new BlockList();
      try {
        list.addSubnet(address!, Number(prefix), family);
      } catch {
        return false;
      }
      return list.check(other.ip!, family);
    };
    return within(peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some(within);
  }
  if (other.namespace === undefined) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.namespace })
    : other.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector === undefined || selects(peer.podSelector, other.labels));
}

function portMatches(ports: PolicyPort[] | undefined, destination: Endpoint, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const number = typeof p.port === 'number' ? p.port : destination.ports?.[p.port];
    if (number === undefined) return false;
    return p.endPort ? port >= number && port <= p.endPort : port === number;
  });
}

function policyTypes(p: Policy): string[] {
  return p.spec?.policyTypes ?? ['Ingress', ...(p.spec?.egress ? ['Egress'] : [])];
}

/**
 * Whether the policies of `namespace` let a flow through: the source's egress (when it is a pod
 * of that namespace) and the destination's ingress (likewise). Parties outside the namespace
 * are not restricted by these policies.
 */
export function allows(policies: readonly Policy[], namespace: string, flow: Flow): boolean {
  const { from, to, port, protocol } = flow;
  const local = (e: Endpoint) => e.namespace === namespace;
  if (!local(from) && !local(to)) throw new Error(`${flowText(flow)}: neither end is in ${namespace}`);
  const governing = (e: Endpoint, type: string) => policies.filter((p) => policyTypes(p).includes(type) && selects(p.spec?.podSelector, e.labels));
  if (local(from)) {
    const egress = governing(from, 'Egress');
    if (egress.length && !egress.some((p) => (p.spec?.egress ?? []).some((r) => (!r.to?.length || r.to.some((peer) => peerMatches(peer, namespace, to))) && portMatches(r.ports, to, port, protocol)))) {
      return false;
    }
  }
  if (local(to)) {
    const ingress = governing(to, 'Ingress');
    if (ingress.length && !ingress.some((p) => (p.spec?.ingress ?? []).some((r) => (!r.from?.length || r.from.some((peer) => peerMatches(peer, namespace, from))) && portMatches(r.ports, to, port, protocol)))) {
      return false;
    }
  }
  return true;
}

/** One representative pod per workload, with its labels and declared ports. */
export function podsOf(objects: readonly K8sObject[], namespace: string): Endpoint[] {
  return workloads(objects).map((w) => {
    const ports: Record<string, number> = {};
    for (const { container } of containersOf(w)) for (const p of container.ports ?? []) if (p.name) ports[p.name] = p.containerPort;
    return { name: w.metadata.name, namespace, labels: podTemplate(w).metadata?.labels ?? {}, ports };
  });
}

export const flowText = (f: Flow): string => `${f.from.name} -> ${f.to.name}:${f.port}/${f.protocol}`;
