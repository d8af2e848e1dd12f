import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * A request exactly as it goes on the wire. The fuzzer writes HTTP/1.1 by hand because fetch
 * (and node:http) normalise paths, refuse odd header bytes and add headers of their own, and
 * those are the requests worth sending.
 */
export interface WireRequest {
  method: string;
  /** The request target: path and query, already encoded (or deliberately not). */
  target: string;
  /** In order, duplicates allowed. `host` and `connection` are added unless present. */
  headers: Array<[string, string]>;
  body?: Buffer;
  /** `HTTP/1.1` unless a mutation says otherwise. */
  version?: string;
}

/** An answer, or what stood for one. */
export interface WireResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body decoded as UTF-8 (after content-encoding). Empty for a stream that was cut. */
  body: string;
  /** True for an event stream: the fuzzer read its head and hung up. */
  streamed: boolean;
}

/** Raised when no answer came: the connection closed first, or the time ran out. */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
}

/**
 * The headers as they go out: `host` first unless given (or suppressed by the `x-no-host`
 * marker, which is not sent), `connection: close`, and a `content-length` for the body.
 */
export function wireHeaders(req: WireRequest, host: string): Array<[string, string]> {
  const names = new Set(req.headers.map(([n]) => n.toLowerCase()));
  const headers: Array<[string, string]> = [
    ...(names.has('host') || names.has('x-no-host') ? [] : [['host', host] as [string, string]]),
    ...req.headers.filter(([n]) => n.toLowerCase() !== 'x-no-host'),
    ...(names.has('connection') ? [] : [['connection', 'close'] as [string, string]]),
  ];
  const length = req.body?.length ?? 0;
  if (!names.has('content-length') && !names.has('transfer-encoding') && (length || ['POST', 'PUT', 'PATCH'].includes(req.method))) {
    headers.push(['content-length', String(length)]);
  }
  return headers;
}

/** The bytes of `req`, as sent. */
export function encodeRequest(req: WireRequest, host: string): Buffer {
  const headers = wireHeaders(req, host);
  const body = req.body ?? Buffer.alloc(0);
  const head = `${req.method} ${req.target} ${req.version ?? 'HTTP/1.1'}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

/** Decodes a chunked body; undefined while the last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) return Buffer.concat(parts); // not chunked after all: keep what came
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

interface Head {
  status: number;
  headers: Record<string, string>;
  bodyStart: number;
}

/** Parses the first final (non-1xx) response head in `data`, skipping `100 Continue` and the like. */
function parseHead(data: Buffer): Head | undefined {
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return undefined;
    const lines = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (Number.isNaN(status)) throw new NoAnswer(`not an HTTP answer: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
    if (status >= 100 && status < 200) {
      at = end + 4;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    return { status, headers, bodyStart: end + 4 };
  }
}

/** The body once complete; undefined while more is due. `closed` says the server has hung up. */
function completeBody(method: string, head: Head, data: Buffer, closed: boolean): Buffer | undefined {
  const rest = data.subarray(head.bodyStart);
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return Buffer.alloc(0);
  if (/chunked/i.test(head.headers['transfer-encoding'] ?? '')) return dechunk(rest) ?? (closed ? rest : undefined);
  const length = head.headers['content-length'];
  if (length !== undefined) return rest.length >= Number(length) ? rest.subarray(0, Number(length)) : closed ? rest : undefined;
  return closed ? rest : undefined;
}

function decode(body: Buffer, encoding: string | undefined): string {
  try {
    if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
    if (encoding === 'deflate') return inflateSync(body).toString('utf8');
    if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  } catch {
    return `<undecodable ${encoding} body of ${body.length} bytes>`;
  }
  return body.toString('utf8');
}

/**
 * Sends one request on a fresh connection and reads the answer. An event stream is cut once
 * its head is read (it would never end). Rejects with NoAnswer when the server closes without
 * answering or `timeoutMs` passes.
 */
export function send(origin: URL, req: WireRequest, timeoutMs: number): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: origin.hostname, port: Number(origin.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      const data = Buffer.concat(chunks);
      let head: Head | undefined;
      try {
        head = parseHead(data);
      } catch (err) {
        settled = true;
        socket.destroy();
        reject(err);
        return;
      }
      if (!head) {
        if (closed) {
          settled = true;
          reject(new NoAnswer(data.length ? `the connection closed mid-answer after ${data.length} bytes` : 'the connection closed without an answer'));
        }
        return;
      }
      const streamed = /text\/event-stream/i.test(head.headers['content-type'] ?? '');
      const body = streamed ? Buffer.alloc(0) : completeBody(req.method, head, data, closed);
      if (body === undefined) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: head.status, headers: head.headers, body: decode(body, head.headers['content-encoding']), streamed });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new NoAnswer(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    // A reset after the server answered and closed is normal; without an answer it is NoAnswer (via close).
    socket.on('error', () => {});
    socket.write(encodeRequest(req, origin.host));
  });
}
