import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FAULT_KINDS, FAULT_RULES, type Fault, type FaultKind } from '@emporium/contracts/ops';

/**
 * The fault flags: one flagd flag per kind of fault, evaluated with a context that says where
 * the code is (`service`, and `route`/`method`/`path`, `eventType`/`purpose` or `upstream`).
 * Number flags give milliseconds or a share from 0 to 1; 0 means off. Boolean flags are on or off.
 */
export const FAULT_FLAGS = {
  'route-latency': 'fault.route.latency-ms',
  'route-error': 'fault.route.error-rate',
  'route-hang': 'fault.route.hang-ms',
  crash: 'fault.crash',
  'event-latency': 'fault.event.latency-ms',
  'event-error': 'fault.event.error-rate',
  'upstream-latency': 'fault.upstream.latency-ms',
  'upstream-error': 'fault.upstream.error-rate',
  'payment-latency': 'fault.payment.latency-ms',
  'payment-failure': 'fault.payment.failure-rate',
  'database-down': 'fault.database.down',
  'broker-down': 'fault.broker.down',
} as const satisfies Record<FaultKind, string>;
export type FaultFlag = (typeof FAULT_FLAGS)[FaultKind];

/** Whether a kind's flag is a boolean (on or off) rather than a number. */
export function isBooleanFault(kind: FaultKind): boolean {
  return FAULT_RULES[kind].value === 'none';
}

/** A flag of a flagd flags file (https://flagd.dev/reference/flag-definitions/). */
export interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  targeting?: unknown;
  metadata?: Record<string, string | number | boolean>;
}

/** A flagd flags file. */
export interface FlagdFile {
  $schema?: string;
  flags: Record<string, FlagdFlag>;
  [other: string]: unknown;
}

/** Where a flag keeps the faults it was made from (JSON), so that they read back as written. */
export const FAULTS_METADATA = 'emporium.faults';
const SCHEMA = 'https://flagd.dev/schema/v0/flags.json';

type Logic = Record<string, unknown>;
const v = (name: string): Logic => ({ var: name });
const eq = (name: string, value: string): Logic => ({ '==': [v(name), value] });

/** The gateway serves the public API under this prefix, and passes the path below it on to the services. */
const PUBLIC_PREFIX = '/api/v1';

/**
 * Where a route target matches: the route's pattern as registered (/orders/:id), or the path
 * itself; a target ending in * also takes every path that starts with what comes before it. A
 * public path (/api/v1/orders/:id) also names the service's own (/orders/:id), so one target
 * reaches the gateway's route and the service's behind it.
 */
function routeMatch(target: string): Logic[] {
  const forms = [target];
  if (target.startsWith(`${PUBLIC_PREFIX}/`)) forms.push(target.slice(PUBLIC_PREFIX.length));
  return forms.flatMap((t) => [eq('route', t), eq('path', t), ...(t.endsWith('*') ? [{ starts_with: [v('path'), t.slice(0, -1)] }] : [])]);
}

/** The condition under which one fault applies, as JsonLogic over the evaluation context. */
function condition(f: Fault): Logic {
  const parts: Logic[] = [];
  if (f.service !== '*') parts.push(eq('service', f.service));
  const rule = FAULT_RULES[f.kind];
  if (f.target !== undefined) {
    if (rule.target === 'route') {
      const [method, path] = f.target.includes(' ') ? f.target.split(' ', 2) : [undefined, f.target];
      if (method) parts.push(eq('method', method));
      parts.push({ or: routeMatch(path!) });
    } else if (rule.target === 'event') {
      parts.push(eq('eventType', f.target));
    } else if (rule.target === 'upstream') {
      parts.push(eq('upstream', f.target));
    }
  }
  if (parts.length === 0) return { '==': [1, 1] };
  return parts.length === 1 ? parts[0]! : { and: parts };
}

/**
 * The flags for a list of faults: one flag per kind present, its enabled faults as variants
 * chosen by targeting (the first that matches wins), every fault of the kind (on or off) in its
 * metadata. A kind none of whose faults is on is DISABLED. Flags of `previous` that are not
 * fault flags are kept.
 */
export function faultsToFlagd(faults: readonly Fault[], previous?: FlagdFile): FlagdFile {
  const flags: Record<string, FlagdFlag> = {};
  const known = new Set<string>(Object.values(FAULT_FLAGS));
  for (const [key, flag] of Object.entries(previous?.flags ?? {})) if (!known.has(key)) flags[key] = flag;
  for (const kind of FAULT_KINDS) {
    const mine = faults.filter((f) => f.kind === kind);
    if (mine.length === 0) continue;
    const on = mine.filter((f) => f.enabled);
    const boolean = isBooleanFault(kind);
    const variants: Record<string, unknown> = { off: boolean ? false : 0 };
    const branches: unknown[] = [];
    if (boolean) {
      variants.on = true;
      if (on.length) branches.push(on.length === 1 ? condition(on[0]!) : { or: on.map(condition) }, 'on');
    } else {
      on.forEach((f, i) => {
        variants[`f${i + 1}`] = f.value ?? 0;
        branches.push(condition(f), `f${i + 1}`);
      });
    }
    flags[FAULT_FLAGS[kind]] = {
      state: on.length ? 'ENABLED' : 'DISABLED',
      variants,
      defaultVariant: 'off',
      ...(on.length ? { targeting: { if: [...branches, 'off'] } } : {}),
      metadata: { [FAULTS_METADATA]: JSON.stringify(mine) },
    };
  }
  return { $schema: SCHEMA, ...(previous ? Object.fromEntries(Object.entries(previous).filter(([k]) => k !== 'flags' && k !== '$schema')) : {}), flags };
}

/** The faults a flags file was made from (flags written by hand, without the metadata, are not listed). */
export function faultsFromFlagd(file: FlagdFile): Fault[] {
  const out: Fault[] = [];
  for (const kind of FAULT_KINDS) {
    const raw = file.flags?.[FAULT_FLAGS[kind]]?.metadata?.[FAULTS_METADATA];
    if (typeof raw !== 'string') continue;
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) out.push(...(parsed as Fault[]).filter((f) => f && f.kind === kind));
    } catch {
      // A metadata entry edited by hand into something else: not ours to list.
    }
  }
  return out;
}

/** The flags file at `path`; an empty one when there is none. Throws when it is not a flags file. */
export async function readFlagsFile(path: string): Promise<FlagdFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { flags: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as FlagdFile).flags !== 'object' || (parsed as FlagdFile).flags === null) {
    throw new Error(`${path} is not a flagd flags file: it has no "flags" object`);
  }
  return parsed as FlagdFile;
}

/**
 * Writes a flags file atomically: to a temporary file beside it, then renamed over it, so a
 * process watching it reads either the old flags or the new, never half of them.
 */
export async function writeFlagsFile(path: string, file: FlagdFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
