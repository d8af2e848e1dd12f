import fastifyStatic from '@fastify/static';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, sendProblem, type ServiceApp } from '@emporium/kit';

/** Paths that belong to the API, never to the web app's client-side routes. */
const API_PATHS = /^\/(?:api|\.well-known)(?:\/|$)/;

/**
 * Serves the web app (the storefront, back-office and console) from `dir`, its build: its
 * files as they are (hashed assets cached for a year), and index.html for any other GET outside
 * the API, so the app's own routes load on a reload or a shared link. Without a build, `/` says
 * how to make one.
 */
export async function webRoutes(app: ServiceApp, { dir }: { dir: string }): Promise<void> {
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send('<!doctype html><title>Emporium</title><p>The web app is not built. Run <code>npm run build:web</code>, or start with <code>npm start</code>, which builds it. The API is at <a href="/api/v1/docs">/api/v1/docs</a>.</p>'),
    );
    return;
  }
  // The build is read at start (index.html, and the asset routes it registers): a rebuilt app is
  // served after a restart, which is what `npm start` does.
  const index = readFileSync(indexFile);
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    decorateReply: false,
    setHeaders: (res, path) => {
      if (path.includes(`${join(dir, 'assets')}`)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  const page = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    if (API_PATHS.test(request.url)) return sendProblem(reply, errors.NOT_FOUND(`There is nothing at GET ${request.url.split('?')[0]}.`).toProblem());
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, page);
}
