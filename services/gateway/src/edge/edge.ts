import cors from '@fastify/cors';
import { TokenVerifier, type ServiceApp, type ServiceContext } from '@emporium/kit';
import type { gatewaySettings } from '../config.ts';
import { registerLoadShedding } from './load-shedding.ts';
import { createRateLimits } from './rate-limit.ts';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-site',
};

/**
 * What the gateway does for every request before routing it: CORS, load shedding, security
 * headers, the per-IP budget, and, when a token is sent, its verification and the per-user budget. The kit
 * has normalised the path before this runs, so no spelling of a path skips it.
 * A bad token stops at the edge with 401, before any service is called.
 */
export async function registerEdge(app: ServiceApp, ctx: ServiceContext<typeof gatewaySettings>): Promise<void> {
  const origins = ctx.settings.CORS_ORIGINS.trim();
  await app.register(cors, {
    origin: origins === '*' ? '*' : origins.split(',').map((o) => o.trim()),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id', 'traceparent'],
    exposedHeaders: ['x-correlation-id', 'traceparent', 'retry-after', 'location'],
    maxAge: 600,
    // A plain OPTIONS (no Origin or Access-Control-Request-Method) is answered like a preflight,
    // 204 with the methods, rather than the plugin's text/plain 400.
    strictPreflight: false,
  });
  // Overload is refused first, before any work is spent on the request.
  await registerLoadShedding(app, ctx);
  const limits = createRateLimits(ctx);

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    // Every request but a preflight is charged, the gateway's probes and documents included:
    // they are public, so they are someone's budget too. The path is already normalised.
    if (request.method === 'OPTIONS') return;
    await limits.consume('ip', request.ip);
    // Outside the API (the web app, probes, /metrics with its scrape token) no access token is read.
    if (!request.url.startsWith('/api/')) return;
    const token = TokenVerifier.bearer(request.headers.authorization);
    if (token) {
      request.caller = await ctx.verifier.verify(token);
      await limits.consume('user', request.caller.id);
    }
  });
}
