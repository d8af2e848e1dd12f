import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { asyncApiDocument } from '@emporium/contracts/asyncapi';
import { ALL_EVENTS } from '@emporium/contracts/registry';
import type { ServiceApp, Upstream } from '@emporium/kit';
import { ROUTES, type UpstreamName } from '../upstreams.ts';

type OpenApi = { paths?: Record<string, unknown>; components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> } };

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const CACHE_MS = 30_000;

/**
 * Gathers every service's /openapi.json into one document for the public API: paths are
 * prefixed with /api/v1, and only the paths the gateway routes to that service are kept.
 * The gateway's own /api/v1 routes are added. A service that does not answer is listed in
 * `x-unavailable` instead of failing the whole.
 * Also serves the AsyncAPI document of every event at /api/v1/asyncapi.json.
 */
export async function docsRoutes(app: ServiceApp, opts: { upstreams: Map<UpstreamName, Upstream> }): Promise<void> {
  let cached: { at: number; doc: unknown } | undefined;

  async function aggregate(): Promise<unknown> {
    const paths: Record<string, unknown> = {};
    const unavailable: string[] = [];
    await Promise.all(
      [...opts.upstreams].map(async ([name, upstream]) => {
        try {
          const { status, body } = await upstream.json<OpenApi>({ method: 'GET', path: '/openapi.json' });
          if (status !== 200) throw new Error(`status ${status}`);
          const prefixes = ROUTES.filter((r) => r.service === name).map((r) => r.prefix);
          for (const [path, item] of Object.entries(body.paths ?? {})) {
            if (prefixes.some((p) => path === p || path.startsWith(`${p}/`))) {
              paths[`/api/v1${path}`] = tagged(item, name);
            }
          }
        } catch {
          unavailable.push(name);
        }
      }),
    );
    // The gateway's own public routes (the dashboard, the dead-letter console) join the services'.
    const tags = new Set<string>(opts.upstreams.keys());
    for (const [path, item] of Object.entries((app.swagger() as OpenApi).paths ?? {})) {
      if (!path.startsWith('/api/v1/')) continue;
      paths[path] = item;
      for (const op of Object.values(item as Record<string, { tags?: string[] }>)) for (const tag of op?.tags ?? []) tags.add(tag);
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Emporium public API', version: '1.0.0', description: 'Every route the gateway serves under /api/v1. Errors are RFC 9457 problem+json.' },
      servers: [{ url: '/' }],
      tags: [...tags].map((name) => ({ name })),
      paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      ...(unavailable.length ? { 'x-unavailable': unavailable.sort() } : {}),
    };
  }

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const doc = await aggregate();
      // Keep an incomplete document only briefly, so a restarted service shows up soon.
      cached = { at: (doc as { 'x-unavailable'?: unknown })['x-unavailable'] ? Date.now() - CACHE_MS + 2_000 : Date.now(), doc };
    }
    reply.header('cache-control', 'no-cache');
    return cached.doc;
  });

  // The events are declared in the contracts package, so their document never changes while running.
  const asyncApi = asyncApiDocument(ALL_EVENTS);
  app.get('/api/v1/asyncapi.json', { schema: { hide: true } }, async () => asyncApi);

  await app.register(fastifyStatic, { root: swaggerUiDir, prefix: '/api/v1/docs/assets/', decorateReply: false, index: false });
  app.get('/api/v1/docs', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    return DOCS_PAGE;
  });
  app.get('/api/v1/docs/init.js', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('text/javascript; charset=utf-8');
    return "window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#docs', deepLinking: true, persistAuthorization: true });";
  });
}

function tagged(item: unknown, tag: string): unknown {
  const out: Record<string, unknown> = {};
  for (const [method, op] of Object.entries(item as Record<string, unknown>)) {
    out[method] = op && typeof op === 'object' ? { ...(op as object), tags: [tag] } : op;
  }
  return out;
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Emporium API</title>
  <link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/init.js"></script>
</body>
</html>`;
