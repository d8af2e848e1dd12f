import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError, errors, requestContext, type ServiceApp, type Upstream } from '@emporium/kit';
import { ROUTES, type UpstreamName } from '../upstreams.ts';

/** Headers that describe one connection, never forwarded across a proxy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
/** Response headers the gateway sets itself. */
const OWN = new Set([...HOP_BY_HOP, 'x-correlation-id', 'traceparent', 'date']);

/** Counts a streamed body and stops it once it passes the limit. */
class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(errors.PAYLOAD_TOO_LARGE(`The body is larger than ${this.limit} bytes.`));
    else done(null, chunk);
  }
}

function forwardHeaders(headers: IncomingHttpHeaders, ip: string): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name) && name !== 'traceparent' && name !== 'tracestate') out[name] = headers[name];
  const prior = headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${ip}` : ip;
  return out;
}

/**
 * Routes /api/v1/<prefix>/* to the service that owns the prefix, streaming both bodies. Upstream
 * failures arrive as AppErrors from the resilient client: 503 with Retry-After when the circuit
 * is open, 504 on a timeout.
 */
export async function proxyRoutes(app: ServiceApp, opts: { upstreams: Map<UpstreamName, Upstream>; bodyLimit: number }): Promise<void> {
  // Bodies are passed on as streams, never parsed or buffered whole.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const forward = (upstream: Upstream, strip: string) =>
    async function proxy(request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > opts.bodyLimit) throw errors.PAYLOAD_TOO_LARGE(`The body is larger than ${opts.bodyLimit} bytes.`);
      const hasBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
      const limiter = hasBody ? new BodyLimit(opts.bodyLimit) : undefined;
      const body = limiter ? (request.body as NodeJS.ReadableStream).pipe(limiter) : null;
      let res;
      try {
        res = await upstream.request({
          method: request.method as 'GET',
          path: request.url.slice(strip.length),
          headers: forwardHeaders(request.headers, request.ip),
          body,
          context: requestContext(request),
        });
      } catch (err) {
        const cause = err instanceof AppError ? (err.cause as unknown) : undefined;
        throw cause instanceof AppError ? cause : err;
      }
      reply.code(res.statusCode);
      for (const name in res.headers) if (!OWN.has(name)) reply.header(name, res.headers[name]);
      // A service's Location is relative to itself; the public one carries the gateway's prefix.
      const location = res.headers.location;
      if (typeof location === 'string' && location.startsWith('/') && strip) reply.header('location', `${strip}${location}`);
      return reply.send(res.body);
    };

  for (const { prefix, service } of ROUTES) {
    const upstream = opts.upstreams.get(service)!;
    const handler = forward(upstream, '/api/v1');
    app.all(`/api/v1${prefix}`, { schema: { hide: true } }, handler);
    app.all(`/api/v1${prefix}/*`, { schema: { hide: true } }, handler);
  }
  const identity = opts.upstreams.get('identity')!;
  app.get('/.well-known/jwks.json', { schema: { hide: true } }, forward(identity, ''));
}
