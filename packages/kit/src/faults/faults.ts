import { FAULT_KINDS, FAULT_MAX_MS, type FaultKind } from '@emporium/contracts/ops';
import type { Counter } from 'prom-client';
import { defineErrors } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { serviceCounter, type ServiceMetrics } from '../metrics.ts';
import { SpanStatusCode, trace, type Span } from '../telemetry.ts';
import { FAULT_FLAGS, isBooleanFault } from './flags.ts';
import { acquireFlagSource, type FlagSource } from './source.ts';

/** The answer of a route a fault broke: 503, so callers treat it as the outage it stands for. */
export const faultErrors = defineErrors({
  FAULT_INJECTED: { status: 503, title: 'A fault was injected' },
});

/** The process's exit code when a crash fault ends it (EX_SOFTWARE). */
export const CRASH_EXIT_CODE = 70;

/**
 * A failure a fault made: a broken connection (`code` says which, as a driver would), or an
 * event handler that failed. It reads like the real thing to the code above it.
 */
export class FaultInjectedError extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
    readonly code?: string,
  ) {
    super(`${message} (fault injected: ${kind})`);
    this.name = 'FaultInjectedError';
  }
}

/** Where a request is: what the route faults are aimed at. */
export interface RouteSite {
  method: string;
  /** The route's pattern, as registered: /api/v1/orders/:id. */
  route: string;
  /** The request's path, without the query. */
  path: string;
}

/** The fake payment provider's faults, read on every call. */
export interface PaymentFaults {
  /** The provider's mean latency while a payment-latency fault is on. */
  latencyMs(): number | undefined;
  /** The provider's failure rate while a payment-failure fault is on. */
  failureRate(): number | undefined;
  /** Records that the provider applied one (the metric and the span event). */
  injected(kind: 'payment-latency' | 'payment-failure', value: number): void;
}

/** How a service's faults are read. */
export interface FaultsOptions {
  /** The flags file; none, no fault is ever injected. */
  file?: string;
  pollMs: number;
  /** How a crash ends the process: process.exit by default (tests pass their own). */
  exit?: (code: number) => void;
  random?: () => number;
}

const ROUTE_KINDS: readonly FaultKind[] = ['route-latency', 'route-error', 'route-hang', 'crash'];
const EVENT_KINDS: readonly FaultKind[] = ['event-latency', 'event-error'];
const UPSTREAM_KINDS: readonly FaultKind[] = ['upstream-latency', 'upstream-error'];
/** Flags evaluated with the service alone, once per change of the file, so reading them costs nothing. */
const SERVICE_KINDS = ['database-down', 'broker-down', 'payment-latency', 'payment-failure', 'crash'] as const;
const CACHE_LIMIT = 5_000;

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, ...signals: Array<AbortSignal | undefined>): Promise<void> {
  return new Promise((resolve) => {
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    if (live.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of live) s.addEventListener('abort', done, { once: true });
  });
}

/**
 * One service's faults. Reading them costs a field read while no fault flag is on in the file
 * (the flags the file enables are known after each change); when one is, it is evaluated through
 * OpenFeature with the context of the site (service, route, event type, upstream), and the answer
 * is cached for that site until the file changes again. Each fault injected counts in
 * `faults_injected_total{service,kind,target}` and adds a `fault.injected` event to the span.
 */
export class ServiceFaults {
  /** Whether a faults file is watched at all. */
  readonly enabled: boolean;
  /** The faults whose flag is on in the file (for some context). */
  private armed = new Set<FaultKind>();
  private serviceValues: Partial<Record<(typeof SERVICE_KINDS)[number], number | boolean>> = {};
  private readonly cache = new Map<string, number | boolean>();
  private generation = 0;
  private readonly closing = new AbortController();
  private readonly counter?: Counter<'kind' | 'target'>;
  private readonly random: () => number;
  private readonly exit: (code: number) => void;
  private stopListening?: () => void;
  readonly payment: PaymentFaults;

  private constructor(
    readonly service: string,
    private readonly source: FlagSource | undefined,
    private readonly log: Logger,
    metrics: ServiceMetrics | undefined,
    opts: FaultsOptions,
  ) {
    this.enabled = source !== undefined;
    this.random = opts.random ?? Math.random;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    if (source && metrics) {
      this.counter = serviceCounter(metrics, { name: 'faults_injected_total', help: 'Faults injected from the faults file, by kind and target (route, event type, upstream)', labelNames: ['kind', 'target'] });
    }
    this.payment = {
      latencyMs: () => this.serviceNumber('payment-latency'),
      failureRate: () => this.serviceNumber('payment-failure'),
      injected: (kind, value) => this.record(kind, 'provider', value, undefined, kind === 'payment-failure'),
    };
  }

  /** A service's faults: read from `opts.file` and kept up to date as it changes; none without a file. */
  static async open(service: string, opts: FaultsOptions, log: Logger, metrics?: ServiceMetrics): Promise<ServiceFaults> {
    if (!opts.file) return new ServiceFaults(service, undefined, log, metrics, opts);
    let source: FlagSource;
    try {
      source = await acquireFlagSource(opts.file, opts.pollMs, log);
    } catch (err) {
      log.warn({ file: opts.file, err: (err as Error).message }, 'faults: the faults file cannot be watched; this service runs without faults');
      return new ServiceFaults(service, undefined, log, metrics, opts);
    }
    const faults = new ServiceFaults(service, source, log, metrics, opts);
    await faults.refresh(true);
    faults.stopListening = source.onChange(() => void faults.refresh(false));
    return faults;
  }

  /** Whether a route fault is on anywhere: when not, the request hook does nothing. */
  get routesArmed(): boolean {
    return this.armed.size > 0 && ROUTE_KINDS.some((k) => this.armed.has(k));
  }
  get eventsArmed(): boolean {
    return this.armed.size > 0 && EVENT_KINDS.some((k) => this.armed.has(k));
  }
  get upstreamsArmed(): boolean {
    return this.armed.size > 0 && UPSTREAM_KINDS.some((k) => this.armed.has(k));
  }
  /** Whether this service's database is broken now. */
  get databaseDown(): boolean {
    return this.serviceValues['database-down'] === true;
  }
  /** Whether this service's broker connection is broken now. */
  get brokerDown(): boolean {
    return this.serviceValues['broker-down'] === true;
  }

  /**
   * Applies the route faults to one request, in order: a crash, a hang (then 503), added
   * latency, an error (503). Resolves when the request may go on; throws the 503 otherwise.
   * `gone` aborts when the client gives up, which ends a hang.
   */
  async route(site: RouteSite, span: Span | undefined, gone?: AbortSignal): Promise<void> {
    const target = `${site.method} ${site.route}`;
    const context = { method: site.method, route: site.route, path: site.path };
    if (this.armed.has('crash') && (await this.value('crash', context)) === true) this.crash(target, span);
    const hang = this.armed.has('route-hang') ? Math.min(Number(await this.value('route-hang', context)), FAULT_MAX_MS) : 0;
    if (hang > 0) {
      this.record('route-hang', target, hang, span, true);
      await sleep(hang, gone, this.closing.signal);
      throw faultErrors.FAULT_INJECTED(`A fault held ${target} for ${hang} ms without an answer.`, { headers: { 'retry-after': '1' } });
    }
    const latency = this.armed.has('route-latency') ? Math.min(Number(await this.value('route-latency', context)), FAULT_MAX_MS) : 0;
    if (latency > 0) {
      this.record('route-latency', target, latency, span);
      await sleep(latency, this.closing.signal);
    }
    const rate = this.armed.has('route-error') ? Number(await this.value('route-error', context)) : 0;
    if (rate > 0 && this.random() < rate) {
      this.record('route-error', target, rate, span, true);
      throw faultErrors.FAULT_INJECTED(`A fault made ${target} fail (error rate ${rate}).`, { headers: { 'retry-after': '1' } });
    }
  }

  /** Applies the event faults to one handling: added latency, then perhaps a failure (the handler "throws"). */
  async event(site: { eventType: string; purpose: string }, span?: Span): Promise<void> {
    const latency = this.armed.has('event-latency') ? Math.min(Number(await this.value('event-latency', site)), FAULT_MAX_MS) : 0;
    if (latency > 0) {
      this.record('event-latency', site.eventType, latency, span);
      await sleep(latency, this.closing.signal);
    }
    const rate = this.armed.has('event-error') ? Number(await this.value('event-error', site)) : 0;
    if (rate > 0 && this.random() < rate) {
      this.record('event-error', site.eventType, rate, span, true);
      throw new FaultInjectedError('event-error', `the handler of ${site.eventType} (${site.purpose}) failed`);
    }
  }

  /**
   * Applies the upstream faults to one attempt of a call: added latency, then perhaps a failure
   * to connect. Returns 'timeout' when the latency reaches `timeoutMs`: the call then times out.
   */
  async upstream(upstream: string, span: Span | undefined, timeoutMs: number): Promise<'timeout' | undefined> {
    const site = { upstream };
    const latency = this.armed.has('upstream-latency') ? Math.min(Number(await this.value('upstream-latency', site)), FAULT_MAX_MS) : 0;
    if (latency > 0) {
      this.record('upstream-latency', upstream, latency, span);
      await sleep(Math.min(latency, timeoutMs), this.closing.signal);
      if (latency >= timeoutMs) return 'timeout';
    }
    const rate = this.armed.has('upstream-error') ? Number(await this.value('upstream-error', site)) : 0;
    if (rate > 0 && this.random() < rate) {
      this.record('upstream-error', upstream, rate, span, true);
      throw new FaultInjectedError('upstream-error', `connect ECONNREFUSED: the ${upstream} service could not be reached`, 'ECONNREFUSED');
    }
    return undefined;
  }

  /** Throws the connection error of a broken database while the database-down fault is on. */
  checkDatabase(span?: Span): void {
    if (!this.databaseDown) return;
    this.record('database-down', 'database', 1, span, true);
    // 08006: PostgreSQL's connection_failure, so code that reads SQLSTATEs sees a lost connection.
    throw new FaultInjectedError('database-down', 'Connection terminated unexpectedly', '08006');
  }

  /** Throws the error of a closed broker connection while the broker-down fault is on. */
  checkBroker(span?: Span): void {
    if (!this.brokerDown) return;
    this.record('broker-down', 'broker', 1, span, true);
    throw new FaultInjectedError('broker-down', 'the connection to the broker is closed', 'CONNECTION_CLOSED');
  }

  /** Resolves once the broker-down fault is off (or the service closes): a delivery waits for the connection. */
  async whileBrokerDown(): Promise<void> {
    if (!this.brokerDown) return;
    this.record('broker-down', 'delivery', 1, undefined);
    while (this.brokerDown && !this.closing.signal.aborted) await sleep(100, this.closing.signal);
  }

  /** Ends every wait a fault holds (hangs, latencies, held deliveries): the service is closing. */
  interrupt(): void {
    this.closing.abort();
  }

  async close(): Promise<void> {
    this.interrupt();
    this.stopListening?.();
    await this.source?.release();
  }

  private serviceNumber(kind: 'payment-latency' | 'payment-failure'): number | undefined {
    const value = this.serviceValues[kind];
    return typeof value === 'number' && value > 0 ? value : undefined;
  }

  /** A flag's value for this service at `site`: from the cache, or evaluated (and cached until the file changes). */
  private async value(kind: FaultKind, site: Record<string, string>): Promise<number | boolean> {
    let key = kind;
    for (const name in site) key += `\u0000${site[name]}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const found = await this.evaluate(kind, site);
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, found);
    }
    return found;
  }

  private async evaluate(kind: FaultKind, site: Record<string, string>): Promise<number | boolean> {
    const client = this.source!.client;
    const flag = FAULT_FLAGS[kind];
    const context = { ...site, service: this.service };
    return isBooleanFault(kind) ? client.getBooleanValue(flag, false, context) : client.getNumberValue(flag, 0, context);
  }

  /**
   * Re-reads which fault flags are on, and the values that depend on the service alone, after
   * the file changed. A crash fault aimed at the whole service ends it here (not at start: a
   * service that starts again with the fault still on crashes at its first request).
   */
  private async refresh(initial: boolean): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.cache.clear();
    const generation = ++this.generation;
    const armed = new Set<FaultKind>();
    const context = { service: this.service };
    for (const kind of FAULT_KINDS) {
      const flag = FAULT_FLAGS[kind];
      const details = isBooleanFault(kind) ? await source.client.getBooleanDetails(flag, false, context) : await source.client.getNumberDetails(flag, 0, context);
      if (!details.errorCode && details.reason !== 'DISABLED') armed.add(kind);
    }
    const values: ServiceFaults['serviceValues'] = {};
    for (const kind of SERVICE_KINDS) if (armed.has(kind)) values[kind] = await this.evaluate(kind, {});
    if (generation !== this.generation) return; // a newer change is being read
    this.armed = armed;
    this.serviceValues = values;
    if (armed.size) this.log.info({ faults: [...armed] }, 'faults: fault flags are on');
    if (!initial && values.crash === true) this.crash('the service', undefined);
  }

  private crash(target: string, span: Span | undefined): void {
    this.record('crash', target, CRASH_EXIT_CODE, span, true);
    this.log.fatal({ target, code: CRASH_EXIT_CODE }, `faults: a crash fault ends the process (exit code ${CRASH_EXIT_CODE})`);
    this.exit(CRASH_EXIT_CODE);
  }

  /** Counts a fault and marks it on the span (its status an error when the fault is one). */
  private record(kind: FaultKind, target: string, value: number, span: Span | undefined, error = false): void {
    this.counter?.inc({ kind, target });
    const s = span ?? trace.getActiveSpan();
    if (!s) return;
    s.addEvent('fault.injected', { 'fault.kind': kind, 'fault.flag': FAULT_FLAGS[kind], 'fault.target': target, 'fault.value': value });
    if (error) s.setStatus({ code: SpanStatusCode.ERROR, message: `fault injected: ${kind} (${target})` });
  }
}
