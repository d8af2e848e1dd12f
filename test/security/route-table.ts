import { existsSync } from 'node:fs';
import { join } from 'node:path';
import gateway from '@emporium/gateway';
import { buildService, type SettingsSource } from '@emporium/kit';

/** The HTTP methods an OpenAPI path item may hold. */
const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type OpenApiDocument = { paths?: Record<string, Partial<Record<(typeof OPENAPI_METHODS)[number], unknown>>>; 'x-unavailable'?: string[] };

/**
 * Routes the kit registers on every service, the gateway included, before the service's own
 * setup runs: the route capture below cannot see them, so they are named here and kept only
 * while the gateway really has them.
 */
const KIT_ROUTES = ['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /openapi.json'];

/** `METHOD /path`, with Fastify's `:param` written as OpenAPI's `{param}`. */
function operation(method: string, url: string): string {
  return `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/**
 * Every operation the public API documents: the gateway's aggregated document, which holds each
 * service's operations under /api/v1 and the gateway's own documented ones. A service missing
 * from it (`x-unavailable`) would silently drop its routes, so that stops the gathering.
 */
export async function documentedOperations(gatewayUrl: string): Promise<string[]> {
  const res = await fetch(`${gatewayUrl}/api/v1/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  const doc = (await res.json()) as OpenApiDocument;
  if (doc['x-unavailable']?.length) throw new Error(`the API document lacks these services: ${doc['x-unavailable'].join(', ')}`);
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of OPENAPI_METHODS) if (item[method]) ops.push(operation(method, path));
  }
  return ops;
}

/**
 * Every route the gateway serves itself, documented or hidden, read from a gateway built from
 * the same settings (never listening): its setup runs with an `onRoute` hook that records each
 * route. Left out: the proxy's pass-through routes (registered for every method; the services'
 * operations behind them come from the document), the HEAD twin Fastify adds to each GET, the
 * CORS preflight (`OPTIONS *`), and the web app (`/`, `/*` and the files of its build). Any other
 * route, however it is registered, is kept.
 */
export async function gatewayOwnOperations(source: SettingsSource): Promise<string[]> {
  const seen: Array<{ methods: string[]; url: string }> = [];
  let webDir = '';
  let everyMethod: readonly string[] = [];
  const recording: typeof gateway = {
    ...gateway,
    async setup(app, ctx) {
      webDir = ctx.settings.WEB_DIR;
      everyMethod = app.supportedMethods;
      app.addHook('onRoute', (route) => {
        seen.push({ methods: ([] as string[]).concat(route.method), url: route.url });
      });
      await gateway.setup(app, ctx);
    },
  };
  const built = await buildService(recording, { source: { ...source, PORT: '0' } });
  try {
    const ops = new Set<string>();
    for (const { methods, url } of seen) {
      if (everyMethod.every((m) => methods.includes(m))) continue; // app.all(): the proxy
      const isWebApp = !url.startsWith('/api/') && !url.startsWith('/.well-known/') && (url === '/' || url === '/*' || existsSync(join(webDir, url)));
      if (isWebApp) continue;
      for (const method of methods) {
        if (method === 'HEAD' && seen.some((r) => r.url === url && r.methods.includes('GET'))) continue;
        if (method === 'OPTIONS' && url === '*') continue;
        ops.add(operation(method, url));
      }
    }
    for (const op of KIT_ROUTES) {
      const [method, url] = op.split(' ') as [string, string];
      if (built.app.hasRoute({ method: method as 'GET', url })) ops.add(op);
    }
    return [...ops];
  } finally {
    await built.close();
  }
}

/**
 * The route table: every operation the platform serves to the public, sorted by path then
 * method, as `METHOD /path`. The document and the gateway's own routes overlap (the gateway
 * documents some of its routes); each operation is listed once.
 */
export async function publicRouteTable(gatewayUrl: string, source: SettingsSource): Promise<string[]> {
  const all = new Set([...(await documentedOperations(gatewayUrl)), ...(await gatewayOwnOperations(source))]);
  const byPath = (op: string) => op.slice(op.indexOf(' ') + 1);
  return [...all].sort((a, b) => byPath(a).localeCompare(byPath(b)) || a.localeCompare(b));
}
