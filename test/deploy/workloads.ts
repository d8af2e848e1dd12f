import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { K8sObject } from './k8s-render.ts';

/**
 * What a deployment file says about one of our processes: the command its container runs, the
 * environment it gets, the port it listens on, the path its readiness check asks, and what runs
 * to completion before it (an init container). Both the Kubernetes manifests and the compose file
 * are read into this one shape, so one test starts either as local processes.
 */
export interface ProcessSpec {
  name: string;
  command: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  before: Array<{ command: string[]; env: Record<string, string> }>;
}

export const COMPOSE_FILE = fileURLToPath(new URL('../../deploy/compose.yaml', import.meta.url));

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface EnvFrom {
  configMapRef?: { name: string };
  secretRef?: { name: string };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFrom[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path?: string; port: number | string } };
}

/** Every Deployment's first container (and its init containers) of a rendered overlay, with the env resolved from its ConfigMaps and Secrets. */
export function processesFromManifests(objects: readonly K8sObject[]): ProcessSpec[] {
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`a container refers to ${kind} ${name}, which the overlay does not define`);
    return found as K8sObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  };
  const configValue = (name: string, key: string) => {
    const value = find('ConfigMap', name).data?.[key];
    if (value === undefined) throw new Error(`ConfigMap ${name} has no key ${key}`);
    return value;
  };
  const secretValue = (name: string, key: string) => {
    const secret = find('Secret', name);
    const value = secret.stringData?.[key] ?? (secret.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key]!, 'base64').toString('utf8'));
    if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
    return value;
  };
  const envOf = (c: Container): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) Object.assign(env, find('ConfigMap', from.configMapRef.name).data ?? {});
      if (from.secretRef) {
        const secret = find('Secret', from.secretRef.name);
        for (const key of Object.keys({ ...secret.data, ...secret.stringData })) env[key] = secretValue(from.secretRef.name, key);
      }
    }
    for (const v of c.env ?? []) {
      if (v.value !== undefined) env[v.name] = v.value;
      else if (v.valueFrom?.secretKeyRef) env[v.name] = secretValue(v.valueFrom.secretKeyRef.name, v.valueFrom.secretKeyRef.key);
      else if (v.valueFrom?.configMapKeyRef) env[v.name] = configValue(v.valueFrom.configMapKeyRef.name, v.valueFrom.configMapKeyRef.key);
      else throw new Error(`env ${v.name} of ${c.name} has neither a value nor a reference this test knows`);
    }
    return env;
  };
  const commandOf = (c: Container) => [...(c.command ?? []), ...(c.args ?? [])];
  return objects
    .filter((o) => o.kind === 'Deployment')
    .map((d) => {
      const pod = (d as unknown as { spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } } }).spec.template.spec;
      const main = pod.containers[0]!;
      const probe = main.readinessProbe?.httpGet;
      if (!probe?.path) throw new Error(`Deployment ${d.metadata.name} has no HTTP readiness probe`);
      const port = typeof probe.port === 'number' ? probe.port : main.ports?.find((p) => p.name === probe.port)?.containerPort;
      if (port === undefined) throw new Error(`Deployment ${d.metadata.name}'s readiness probe names port ${String(probe.port)}, which its container does not declare`);
      return {
        name: d.metadata.name,
        command: commandOf(main),
        env: envOf(main),
        port,
        readyPath: probe.path,
        before: (pod.initContainers ?? []).map((c) => ({ command: commandOf(c), env: envOf(c) })),
      };
    });
}

interface ComposeService {
  build?: { target?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | null>;
  healthcheck?: { test?: string[] | string };
}

/** The compose file as `docker-compose config` resolves it (defaults filled in, anchors merged). */
export function composeConfig(file = COMPOSE_FILE): { services: Record<string, ComposeService> } {
  return parse(execFileSync('docker-compose', ['-f', file, 'config'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })) as { services: Record<string, ComposeService> };
}

/**
 * Every compose service built from the Dockerfile's `service` target. Its command is that target's
 * CMD (`node services/$SERVICE/dist/main.js`), its port the PORT it is given, and its readiness
 * path the URL its healthcheck fetches, which must be on that port.
 */
export function processesFromCompose(config: { services: Record<string, ComposeService> }, dockerfileCommand: (service: string) => string[]): ProcessSpec[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.build?.target === 'service')
    .map(([name, s]) => {
      const service = s.build?.args?.SERVICE;
      if (!service) throw new Error(`compose service ${name} builds the service target without a SERVICE argument`);
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
      const test = Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : (s.healthcheck?.test ?? '');
      const url = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[^'"\s)]*)/.exec(test);
      if (!url) throw new Error(`compose service ${name} has no healthcheck that fetches a local URL`);
      const port = Number(env.PORT);
      if (Number(url[1]) !== port) throw new Error(`compose service ${name} listens on PORT ${env.PORT} but its healthcheck asks port ${url[1]}`);
      return { name, command: dockerfileCommand(service), env, port, readyPath: url[2]!, before: [] };
    });
}

/** The command the Dockerfile's `service` target runs for SERVICE, read from its CMD. */
export function dockerfileServiceCommand(dockerfile: string): (service: string) => string[] {
  const target = dockerfile.split(/^FROM /m).find((stage) => /^\S+ AS service\s*$/m.test(stage.split('\n')[0]!));
  if (!target) throw new Error('the Dockerfile has no stage named service');
  const cmd = /^CMD (\[.*\])\s*$/m.exec(target);
  if (!cmd) throw new Error('the service stage has no CMD in exec form');
  const argv = JSON.parse(cmd[1]!) as string[];
  // ["sh", "-c", "exec node services/${SERVICE}/dist/main.js"]: the shell only expands SERVICE.
  const line = argv[0] === 'sh' && argv[1] === '-c' ? argv[2]!.replace(/^exec\s+/, '').split(/\s+/) : argv;
  return (service) => line.map((part) => part.replaceAll('${SERVICE}', service).replaceAll('$SERVICE', service));
}
