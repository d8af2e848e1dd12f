import { defineService } from '@emporium/kit';
import { gatewaySettings } from './config.ts';
import { registerEdge } from './edge/edge.ts';
import { docsRoutes } from './routes/docs.routes.ts';
import { opsRoutes } from './routes/ops.routes.ts';
import { proxyRoutes } from './routes/proxy.routes.ts';
import { createUpstreams } from './upstreams.ts';

/** The API gateway: the one public entry point, routing /api/v1 to the services. */
export default defineService({
  name: 'gateway',
  description: 'Routes /api/v1 to the services, with edge authentication, rate limits and aggregated API docs.',
  defaultPort: 8080,
  settings: gatewaySettings,
  bodyLimit: 1024 * 1024,
  trustProxy: (settings) => settings.TRUST_PROXY === true,
  // The proxy passes each request's trace context explicitly, so no AsyncLocalStorage is needed.
  asyncContext: false,
  async setup(app, ctx) {
    const upstreams = createUpstreams(ctx);
    await registerEdge(app, ctx);
    await app.register(docsRoutes, { upstreams });
    await app.register(opsRoutes, { upstreams, verifier: ctx.verifier });
    await app.register(proxyRoutes, { upstreams, bodyLimit: ctx.settings.BODY_LIMIT });
  },
});
