import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A service's metrics: its own registry, the RED histogram and the process metrics. */
export interface ServiceMetrics {
  registry: Registry;
  /** Request duration by method, route and status: rate, errors and duration in one metric. */
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Calls this service made to others, by upstream and outcome. */
  upstreamCalls: Counter<'upstream' | 'outcome'>;
  /** The circuit breakers of this service's clients, each read when /metrics is scraped. */
  breakers: Set<{ upstream: string; client: string; readonly state: string }>;
}

/** One sample of a gauge read at scrape time. */
export interface GaugeSample<L extends string> {
  labels?: Partial<Record<L, string>>;
  value: number;
}

/**
 * A gauge whose value is read when /metrics is scraped (a backlog, a count of rows by state),
 * so figures that live in the database need no bookkeeping. A read that fails leaves the gauge
 * out of that scrape rather than failing it.
 */
export function scrapedGauge<L extends string>(
  metrics: ServiceMetrics,
  opts: { name: string; help: string; labelNames?: readonly L[] },
  read: () => Promise<Array<GaugeSample<L>>>,
): void {
  new Gauge<L>({
    name: opts.name,
    help: opts.help,
    labelNames: opts.labelNames ?? [],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        for (const sample of await read()) this.set((sample.labels ?? {}) as Record<L, string>, sample.value);
      } catch {
        // The database may be down: the readiness check says so; the scrape still answers.
      }
    },
  });
}

/**
 * Wraps a read so that calls made while one is in flight share it: the gauges of one scrape
 * (collected together) then cost one query, and the next scrape reads afresh.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= read().finally(() => (pending = undefined)));
}

/** A counter of the service's own (rejections, outcomes), on its registry. */
export function serviceCounter<L extends string>(metrics: ServiceMetrics, opts: { name: string; help: string; labelNames?: readonly L[] }): Counter<L> {
  return new Counter<L>({ name: opts.name, help: opts.help, labelNames: opts.labelNames ?? [], registers: [metrics.registry] });
}

const BREAKER_STATES = ['closed', 'half-open', 'open', 'isolated'];

/** Creates the metrics of one service, labelled with its name. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const breakers: ServiceMetrics['breakers'] = new Set();
  const metrics: ServiceMetrics = {
    registry,
    breakers,
    httpDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests served, by route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    upstreamCalls: new Counter({
      name: 'http_client_requests_total',
      help: 'Calls made to other services, by upstream and outcome (ok, error, timeout, open circuit, rejected, bad request)',
      labelNames: ['upstream', 'outcome'],
      registers: [registry],
    }),
  };
  scrapedGauge(
    metrics,
    { name: 'http_client_breaker_state', help: 'Circuit breakers of the clients to other services: 1 for the state each is in, 0 for the others', labelNames: ['upstream', 'client', 'state'] },
    async () => [...breakers].flatMap((b) => BREAKER_STATES.map((state) => ({ labels: { upstream: b.upstream, client: b.client, state }, value: b.state === state ? 1 : 0 }))),
  );
  return metrics;
}
