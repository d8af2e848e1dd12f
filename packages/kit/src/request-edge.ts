import { BlockList, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { errors, problem, type Problem } from './errors.ts';

/** RFC 3986 unreserved characters: percent-encoding them changes nothing, so they are decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The one form of a request target that routing and every hook see: percent-encoded unreserved
 * characters decoded (`/%61pi` is `/api`), other escapes in upper case, runs of slashes folded,
 * and `.` and `..` segments resolved. The query is left as sent. A target that is not a path
 * (`*`, or broken escapes the router will refuse) is returned unchanged.
 */
export function normalizePath(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/')) return url;
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  const segments: string[] = [];
  const parts = decoded.split('/').slice(1);
  parts.forEach((segment, i) => {
    const last = i === parts.length - 1;
    if (segment === '..') {
      segments.pop();
      if (last) segments.push('');
    } else if (segment === '.') {
      if (last) segments.push('');
    } else if (segment !== '' || last) {
      segments.push(segment);
    }
  });
  return `/${segments.join('/')}${q === -1 ? '' : url.slice(q)}`;
}

/**
 * Parses a comma-separated list of addresses and CIDR blocks (`127.0.0.0/8,::1,10.0.0.0/8`).
 * Returns undefined when any entry is not one.
 */
export function parseAddressList(raw: string): BlockList | undefined {
  const list = new BlockList();
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (!family || extra !== undefined) return undefined;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) return undefined;
    list.addSubnet(address!, prefix, type);
  }
  return list;
}

/** Whether `address` (as a socket reports it, IPv4-mapped IPv6 included) is in `list`. */
export function inAddressList(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return list.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Answers a request that Node's HTTP parser refused before Fastify saw it (headers too large,
 * a malformed request line or header) with a problem document, then closes the connection.
 */
export function answerClientError(err: NodeJS.ErrnoException & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
  const detail =
    status === 431
      ? 'The request headers are larger than this server accepts.'
      : status === 413
        ? 'The chunk extensions are larger than this server accepts.'
        : 'The request could not be parsed as HTTP: its request line or a header is malformed.';
  const body = JSON.stringify(problem(status === 431 ? 'HEADERS_TOO_LARGE' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'MALFORMED_REQUEST', status, STATUS_CODES[status]!, detail) satisfies Problem);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Refuses an HTTP/1.1 request without a Host header (RFC 9112 §3.2) with a 400 problem. */
export async function refuseWithoutHost(request: FastifyRequest): Promise<void> {
  if (request.raw.httpVersion === '1.1' && !request.headers.host) throw errors.VALIDATION_FAILED('An HTTP/1.1 request must carry a Host header.');
}

/** Answers an `Expect` the server cannot meet (anything but 100-continue) with a 417 problem. */
export function answerExpectation(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(problem('EXPECTATION_FAILED', 417, STATUS_CODES[417]!, `This server cannot meet "Expect: ${String(req.headers.expect).slice(0, 100)}"; only 100-continue is understood.`));
  res.writeHead(417, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** The methods each route pattern answers, to tell a wrong method (405) from a wrong path (404). */
export class RouteMethods {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** Records a route as Fastify declares it: `/orders/:id/cancel`, `/files/*`. */
  add(url: string, methods: string | string[]): void {
    let set = this.byUrl.get(url);
    if (!set) {
      set = new Set();
      this.byUrl.set(url, set);
      const source = url
        .split('/')
        .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      this.routes.push({ pattern: new RegExp(`^${source}$`), methods: set });
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) set.add(m);
  }

  /** The methods allowed on `path`, or none when no route matches it. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const route of this.routes) if (route.pattern.test(path)) for (const m of route.methods) out.add(m);
    return [...out];
  }
}
