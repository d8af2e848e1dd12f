import { defineService } from '@emporium/kit';
import { gatewaySettings } from './config.ts';
import { registerEdge } from './edge/edge.ts';
import { consoleRoutes } from './routes/console.routes.ts';
import { dashboardRoutes } from './routes/dashboard.routes.ts';
import { docsRoutes } from './routes/docs.routes.ts';
import { faultsRoutes } from './routes/faults.routes.ts';
import { opsRoutes } from './routes/ops.routes.ts';
import { webRoutes } from './routes/web.routes.ts';
import { proxyRoutes } from './routes/proxy.routes.ts';
import { createUpstreams } from './upstreams.ts';

/** The API gateway: the one public entry point, routing /api/v1 to the services. */
export default defineService({
  name: 'gateway',
  description: 'Routes /api/v1 to the services, with edge authentication, rate limits and aggregated API docs.',
  defaultPort: 8080,
  settings: gatewaySettings,
  bodyLimit: 1024 * 1024,
  // The proxy passes each request's trace context explicitly, so no AsyncLocalStorage is needed.
  asyncContext: false,
  async setup(app, ctx) {
    const s = ctx.settings;
    const upstreams = createUpstreams(ctx, { client: 'proxy', timeoutMs: s.UPSTREAM_TIMEOUT_MS, bodyTimeoutMs: s.UPSTREAM_BODY_TIMEOUT_MS });
    // Event streams stay open for minutes: they get connections of their own, so they never
    // starve ordinary calls, and no body timeout, so an idle stream is not a failure.
    const streams = createUpstreams(ctx, { client: 'event-streams', timeoutMs: s.UPSTREAM_TIMEOUT_MS, bodyTimeoutMs: 0, connections: s.EVENT_STREAMS_MAX });
    // The dashboard's own clients: its short deadline and no retries, and breakers of their own,
    // so a part slower than the dashboard allows does not cut the proxy off from that service.
    const dashboard = createUpstreams(
      ctx,
      { client: 'dashboard', timeoutMs: s.DASHBOARD_TIMEOUT_MS, bodyTimeoutMs: s.DASHBOARD_TIMEOUT_MS, retries: 0 },
      ['identity', 'orders', 'recommendations'],
    );
    // The console's operations (the dead-letter and outbox fan-out, replays, /ops/sagas) get
    // breakers of their own: an ops route that fails must never cut shoppers off from a service.
    const ops = createUpstreams(ctx, { client: 'ops', timeoutMs: s.UPSTREAM_TIMEOUT_MS, bodyTimeoutMs: s.UPSTREAM_BODY_TIMEOUT_MS });
    await registerEdge(app, ctx);
    await app.register(docsRoutes, { upstreams });
    await app.register(opsRoutes, { upstreams: ops, verifier: ctx.verifier });
    await app.register(faultsRoutes, { file: s.FAULTS_FILE, verifier: ctx.verifier });
    await app.register(consoleRoutes, { clients: { proxy: upstreams, 'event-streams': streams, dashboard, ops }, settings: s, verifier: ctx.verifier });
    await app.register(dashboardRoutes, { upstreams: dashboard, verifier: ctx.verifier, timeoutMs: s.DASHBOARD_TIMEOUT_MS });
    await app.register(webRoutes, { dir: s.WEB_DIR });
    await app.register(proxyRoutes, { upstreams, streams, ops, bodyLimit: s.BODY_LIMIT, maxStreams: s.EVENT_STREAMS_MAX });
  },
});
