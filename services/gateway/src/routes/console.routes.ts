import type { AddressInfo } from 'node:net';
import { Problem } from '@emporium/contracts/common';
import { requireRole, Type, type ServiceApp, type ServiceContext, type TokenVerifier } from '@emporium/kit';
import type { gatewaySettings } from '../config.ts';
import { checkInstance, httpFetcher, serviceStatus, type Instance } from '../console/instances.ts';
import { MetricsSampler } from '../console/sampler.ts';
import { upstreamUrls, type Upstreams } from '../upstreams.ts';
import { tracesRoutes } from './traces.routes.ts';

/** Why the gateway holds a set of clients: each set has breakers of its own. */
export type ClientPurpose = 'proxy' | 'event-streams' | 'dashboard' | 'ops';

/** What the console routes need: the gateway's clients by purpose, its settings and the token verifier. */
export interface ConsoleRoutesOptions {
  clients: Record<ClientPurpose, Pick<Upstreams, 'entries'>>;
  settings: ServiceContext<typeof gatewaySettings>['settings'];
  verifier: TokenVerifier;
}

const InstanceHealth = Type.Object({
  url: Type.String({ description: 'The instance’s base URL, as the gateway’s settings name it' }),
  status: Type.Union([Type.Literal('ok'), Type.Literal('failing'), Type.Literal('down')], { description: 'ok: ready; failing: answered but not ready; down: no answer in time' }),
  latencyMs: Type.Union([Type.Number(), Type.Null()], { description: 'Time to its readiness answer; null when it did not answer' }),
  failing: Type.Array(Type.Object({ check: Type.String(), error: Type.String() }), { description: 'The readiness checks that failed' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it is not ok; null when it is' }),
});

const ServicesAnswer = Type.Object({
  checkedAt: Type.String({ format: 'date-time' }),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')], { description: 'ok: every instance is; down: none is; degraded: some are' }),
      instances: Type.Array(InstanceHealth),
    }),
  ),
});

const SeriesPoint = Type.Object({
  t: Type.Integer({ description: 'When the sample was taken, in ms since the epoch' }),
  rps: Type.Union([Type.Number(), Type.Null()], { description: 'Requests served per second; null when no instance could be scraped' }),
  errorRate: Type.Union([Type.Number(), Type.Null()], { description: 'Share of them answered with a 5xx, 0 to 1; null without a request' }),
  p99Ms: Type.Union([Type.Number(), Type.Null()], { description: '99th percentile of their duration, in ms; null without a request' }),
});

const MetricsAnswer = Type.Object({
  intervalMs: Type.Integer({ description: 'Time between two samples' }),
  windowMs: Type.Integer({ description: 'How far back the series go at most' }),
  services: Type.Record(Type.String(), Type.Array(SeriesPoint), { description: 'Each service’s points, oldest first' }),
});

const BreakerState = Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open'), Type.Literal('isolated')]);

const BreakersAnswer = Type.Object({
  data: Type.Array(
    Type.Object({
      service: Type.String(),
      clients: Type.Array(Type.Object({ purpose: Type.Union([Type.Literal('proxy'), Type.Literal('event-streams'), Type.Literal('dashboard'), Type.Literal('ops')]), state: BreakerState })),
    }),
  ),
});

const PURPOSES: readonly ClientPurpose[] = ['proxy', 'event-streams', 'dashboard', 'ops'];

/**
 * The operations console's own view of the platform, admin only: every service's instances with
 * their readiness, live request rate, error share and p99 per service (scraped from each
 * instance's /metrics while someone watches), the state of the gateway's circuit breakers, and
 * recent traces gathered from every instance (see traces.routes.ts).
 */
export async function consoleRoutes(app: ServiceApp, { clients, settings, verifier }: ConsoleRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');
  const timeoutMs = settings.CONSOLE_PROBE_TIMEOUT_MS;

  // The gateway itself is asked in process; the services over HTTP, at each replica's URL.
  const self: Instance = {
    service: 'gateway',
    get url() {
      const address = app.server.address() as AddressInfo | null;
      if (!address || typeof address !== 'object') return `http://${settings.HOST}:${settings.PORT}`;
      return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    },
    fetch: async (path, headers) => {
      const res = await app.inject({ method: 'GET', url: path, headers: headers ?? (settings.METRICS_TOKEN ? { authorization: `Bearer ${settings.METRICS_TOKEN}` } : {}) });
      return { status: res.statusCode, text: res.body };
    },
  };
  const instances: Instance[] = [self];
  for (const [service, urls] of Object.entries(upstreamUrls(settings))) {
    for (const url of urls) instances.push({ service, url, fetch: httpFetcher(url, timeoutMs, settings.METRICS_TOKEN) });
  }
  const sampler = new MetricsSampler(instances, {
    intervalMs: settings.CONSOLE_SAMPLE_MS,
    windowMs: settings.CONSOLE_WINDOW_MS,
    idleMs: settings.CONSOLE_IDLE_MS,
    log: app.log,
  });
  app.addHook('onClose', async () => sampler.stop());
  await app.register(tracesRoutes, { instances, verifier, jaegerUrl: settings.JAEGER_URL, jaegerTimeoutMs: settings.UPSTREAM_TIMEOUT_MS });

  app.get('/api/v1/ops/services', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Every service and each of its instances, with its readiness',
      description: `Each instance's /health/ready is asked in parallel, with ${timeoutMs} ms to answer (CONSOLE_PROBE_TIMEOUT_MS). An instance that does not answer is \`down\`; the answer is still 200. The gateway lists itself first.`,
      security: [{ bearer: [] }],
      response: { 200: ServicesAnswer, 401: Problem, 403: Problem },
    },
  }, async () => {
    const health = await Promise.all(instances.map(async (instance) => ({ service: instance.service, health: await checkInstance(instance, timeoutMs) })));
    const services = [...new Set(instances.map((i) => i.service))].map((name) => {
      const own = health.filter((h) => h.service === name).map((h) => h.health);
      return { name, status: serviceStatus(own), instances: own };
    });
    return { checkedAt: new Date().toISOString(), services };
  });

  app.get('/api/v1/ops/metrics', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Live request rate, error share and p99 latency per service',
      description:
        `Every instance's /metrics is scraped every ${settings.CONSOLE_SAMPLE_MS} ms (CONSOLE_SAMPLE_MS) while someone asks for this, and for ${settings.CONSOLE_IDLE_MS} ms after the last time (CONSOLE_IDLE_MS); ` +
        `each point is the change since the previous scrape, summed over a service's instances, and the last ${settings.CONSOLE_WINDOW_MS} ms are kept. ` +
        'The first call starts the scrapes, so it answers empty series. Health and metrics routes are not counted.',
      security: [{ bearer: [] }],
      querystring: Type.Object(
        { since: Type.Optional(Type.Integer({ minimum: 0, description: 'Only points taken after this time (ms since the epoch), to fetch just what is new' })) },
        { additionalProperties: false },
      ),
      response: { 200: MetricsAnswer, 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request) => {
    sampler.watch();
    return { intervalMs: settings.CONSOLE_SAMPLE_MS, windowMs: settings.CONSOLE_WINDOW_MS, services: sampler.snapshot(request.query.since) };
  });

  app.get('/api/v1/ops/breakers', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "The state of the gateway's circuit breakers, by service and client",
      description: 'The gateway holds a client per service for proxied calls, one for event streams, one for the dashboard’s calls (identity, orders, recommendations), and one for the console’s operations (dead letters, outbox backlog, replays, sagas), each with its own breaker.',
      security: [{ bearer: [] }],
      response: { 200: BreakersAnswer, 401: Problem, 403: Problem },
    },
  }, async () => {
    const byService = new Map<string, Array<{ purpose: ClientPurpose; state: 'closed' | 'open' | 'half-open' | 'isolated' }>>();
    for (const purpose of PURPOSES) {
      for (const [service, upstream] of clients[purpose].entries()) {
        const list = byService.get(service) ?? [];
        list.push({ purpose, state: upstream.state });
        byService.set(service, list);
      }
    }
    return { data: [...byService].map(([service, list]) => ({ service, clients: list })) };
  });
}
