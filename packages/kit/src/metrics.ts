import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** A service's metrics: its own registry, the RED histogram and the process metrics. */
export interface ServiceMetrics {
  registry: Registry;
  /** Request duration by method, route and status: rate, errors and duration in one metric. */
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Calls this service made to others, by upstream and outcome. */
  upstreamCalls: Counter<'upstream' | 'outcome'>;
}

/** Creates the metrics of one service, labelled with its name. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
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
}
