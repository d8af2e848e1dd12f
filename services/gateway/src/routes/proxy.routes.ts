import type { ServerResponse } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors, requestContext, type ServiceApp } from '@emporium/kit';
import { ROUTES, type UpstreamName, type Upstreams } from '../upstreams.ts';

/** Headers that describe one connection, never forwarded across a proxy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
/**
 * Request headers the gateway answers for itself or sets anew: `expect` (Node has already sent
 * 100 Continue, and the client refuses to send it on), the trace context (the gateway's span is
 * the parent), the correlation id (validated at the edge) and the forwarding chain.
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'expect', 'traceparent', 'tracestate', 'x-correlation-id', 'x-forwarded-for', 'forwarded']);
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

/**
 * The headers a service receives: the client's, less the connection's own, with the
 * correlation id the edge settled on and the client's address as the gateway resolved it (one
 * entry: what a client wrote in its own X-Forwarded-For is not passed on as if it were true).
 */
function forwardHeaders(request: FastifyRequest): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  const headers = request.headers;
  // Connection may name further headers that belong to this hop only.
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((t) => t.trim()) : [];
  for (const name in headers) if (!NOT_FORWARDED.has(name) && !named.includes(name)) out[name] = headers[name];
  out['x-correlation-id'] = request.id;
  out['x-forwarded-for'] = request.ip;
  return out;
}

/** What the proxy needs: a client per service for ordinary calls and one for event streams. */
export interface ProxyRoutesOptions {
  upstreams: Upstreams;
  /** Clients without a body timeout and with connections of their own, for long-lived streams. */
  streams: Upstreams;
  /** Clients with breakers of their own for the console's operations (`/ops/*` routes); the proxy's when not given. */
  ops?: Upstreams;
  /** Largest request body passed on, in bytes. */
  bodyLimit: number;
  /** Event streams open at once; one more is refused with 503. */
  maxStreams: number;
}

/** An event stream being passed through: the client's response and, once it answers, the service's body. */
interface OpenStream {
  raw: ServerResponse;
  body?: Readable;
}

/** Whether the caller asks for Server-Sent Events, as EventSource always does. */
function wantsEventStream(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Routes /api/v1/<prefix>/* to the service that owns the prefix, streaming both bodies. Upstream
 * failures arrive as AppErrors from the resilient client: 503 with Retry-After when the circuit
 * is open, 504 on a timeout. A request for an event stream goes through the stream clients: its
 * headers are passed on at once and its events as they come, however long it stays idle.
 */
export async function proxyRoutes(app: ServiceApp, opts: ProxyRoutesOptions): Promise<void> {
  // Bodies are passed on as streams, never parsed or buffered whole.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const open = new Set<OpenStream>();
  let closing = false;
  // An open stream would hold the server's close (and the pool's) for as long as its client
  // stays: end each one cleanly, and the client reconnects to a replica that is still up.
  app.addHook('preClose', (done) => {
    closing = true;
    for (const stream of open) {
      if (!stream.body) continue;
      stream.body.unpipe(stream.raw);
      stream.raw.end();
    }
    done();
  });

  /** Counts a new event stream until its client's response closes; refuses one past the limit. */
  const track = (raw: ServerResponse): OpenStream => {
    if (open.size >= opts.maxStreams) throw errors.UPSTREAM_UNAVAILABLE('Too many event streams are open; try again shortly.', { headers: { 'retry-after': '5' } });
    const stream: OpenStream = { raw };
    open.add(stream);
    raw.once('close', () => open.delete(stream));
    return stream;
  };

  const forward = (service: UpstreamName, strip: string, clients: Upstreams = opts.upstreams) =>
    async function proxy(request: FastifyRequest, reply: FastifyReply) {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > opts.bodyLimit) throw errors.PAYLOAD_TOO_LARGE(`The body is larger than ${opts.bodyLimit} bytes.`);
      const hasBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
      const limiter = hasBody ? new BodyLimit(opts.bodyLimit) : undefined;
      const body = limiter ? (request.body as NodeJS.ReadableStream).pipe(limiter) : null;
      const stream = wantsEventStream(request) ? track(reply.raw) : undefined;
      const upstream = (stream ? opts.streams : clients).get(service)!;
      let res;
      try {
        res = await upstream.request({
          method: request.method as 'GET',
          path: request.url.slice(strip.length),
          headers: forwardHeaders(request),
          body,
          context: requestContext(request),
        });
      } catch (err) {
        if (stream) open.delete(stream);
        const cause = err instanceof AppError ? (err.cause as unknown) : undefined;
        throw cause instanceof AppError ? cause : err;
      }
      // A stream whose service answered after the shutdown began would never be ended.
      if (stream && closing) {
        res.body.destroy();
        throw errors.NOT_READY('The gateway is shutting down; connect again.');
      }
      reply.code(res.statusCode);
      for (const name in res.headers) if (!OWN.has(name)) reply.header(name, res.headers[name]);
      // A service's Location is relative to itself; the public one carries the gateway's prefix.
      const location = res.headers.location;
      if (typeof location === 'string' && location.startsWith('/') && strip) reply.header('location', `${strip}${location}`);
      if (stream) {
        stream.body = res.body;
        // Fastify writes the headers with the first chunk; a stream's first event may be minutes
        // away, and the client should know at once that it is open.
        reply.raw.once('pipe', () => reply.raw.flushHeaders());
      }
      return reply.send(res.body);
    };

  for (const { prefix, service } of ROUTES) {
    // An operator's calls (/ops/sagas) go through the ops clients: one that fails opens no breaker of the shoppers'.
    const handler = forward(service, '/api/v1', prefix.startsWith('/ops/') && opts.ops ? opts.ops : opts.upstreams);
    app.all(`/api/v1${prefix}`, { schema: { hide: true } }, handler);
    app.all(`/api/v1${prefix}/*`, { schema: { hide: true } }, handler);
  }
  app.get('/.well-known/jwks.json', { schema: { hide: true } }, forward('identity', ''));
}
