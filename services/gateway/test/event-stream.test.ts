import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService } from './stub-service.ts';

/** The gateway's upstream timeouts, kept small so that a short pause outlasts both. */
const HEADERS_TIMEOUT_MS = 300;
const BODY_TIMEOUT_MS = 100;
/** A pause that outlasts them: undici checks its timeouts on a coarse timer (about a second). */
const PAUSE_MS = 1_500;

/** A stand-in orders service whose event streams the test writes to by hand. */
class OrdersStub extends StubService {
  closed = 0;
  private waiting: Array<(res: ServerResponse) => void> = [];

  /** Answers lists with JSON and event paths with a stream. */
  readonly serve: StubService['handler'] = (req, res) => {
    if (!req.url!.endsWith('/events')) return json(res, 200, { data: [] });
    // Like a real SSE endpoint: the headers go out at once, the events when they happen.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    res.on('close', () => this.closed++);
    this.waiting.shift()?.(res);
  };
  override handler = this.serve;

  /** The next stream a client opens. */
  nextStream(): Promise<ServerResponse> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Reads a text stream until `text` has arrived, returning all that was read. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, seen = ''): Promise<string> {
  const decoder = new TextDecoder();
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before "${text}" arrived; read: ${seen}`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

/** Waits until `check` holds, looking every few milliseconds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10);
}

describe('gateway event streams', () => {
  let orders: OrdersStub;
  let tokens: TestTokens;
  let gw: BuiltService;
  let base: string;
  const events = `/api/v1/orders/${randomUUID()}/events`;

  const build = (extra: Record<string, string> = {}) =>
    buildService(gateway, {
      source: {
        LOG_LEVEL: 'silent',
        ORDERS_URL: orders.url,
        IDENTITY_URL: orders.url,
        UPSTREAM_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        UPSTREAM_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
        ...extra,
      },
      verifier: tokens.verifier,
    });
  const subscribe = async (url: string, signal?: AbortSignal) =>
    fetch(url, { headers: { accept: 'text/event-stream', ...(await tokens.auth()) }, signal });

  beforeAll(async () => {
    orders = await new OrdersStub().start();
    tokens = await testTokens();
    gw = await build();
    base = await gw.listen(0);
  });
  afterAll(async () => {
    await gw.close();
    await orders.stop();
  });

  it('passes events on one by one, through pauses longer than the upstream timeouts, and lets go of the service when the client leaves', async () => {
    const opened = orders.nextStream();
    const client = new AbortController();
    // 1. The stream is open (headers passed on) before its first event.
    const res = await subscribe(`${base}${events}`, client.signal);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const upstream = await opened;
    const reader = res.body!.getReader();

    // 2. The first event reaches the client while the service still holds the second.
    upstream.write('event: status\ndata: {"status":"PENDING"}\n\n');
    expect(await readUntil(reader, '"PENDING"')).toContain('event: status');

    // 3. An idle stream outlasts both timeouts, and the next event still arrives.
    await sleep(PAUSE_MS);
    upstream.write('event: status\ndata: {"status":"CONFIRMED"}\n\n');
    expect(await readUntil(reader, '"CONFIRMED"')).toContain('data: {"status":"CONFIRMED"}');

    // 4. The client leaves: the gateway drops its request to the service.
    const closedBefore = orders.closed;
    client.abort();
    await until(() => orders.closed > closedBefore);

    // 5. Nothing of this counted against orders: ordinary calls still go through.
    const list = await fetch(`${base}/api/v1/orders`, { headers: await tokens.auth() });
    expect(list.status).toBe(200);
  });

  it('passes the end of a stream on when the service ends it', async () => {
    const opened = orders.nextStream();
    const res = await subscribe(`${base}${events}`);
    const upstream = await opened;
    upstream.end('data: bye\n\n');
    expect(await res.text()).toBe('data: bye\n\n');
  });

  it('still cuts off an ordinary answer that stalls for longer than the body timeout', async () => {
    orders.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":[');
      // …and nothing more.
    };
    try {
      const res = await fetch(`${base}/api/v1/orders`, { headers: await tokens.auth() });
      await expect(res.text()).rejects.toThrow();
    } finally {
      orders.handler = orders.serve;
    }
  });

  it('refuses a stream past EVENT_STREAMS_MAX with 503, and ends open streams when the gateway shuts down', async () => {
    const small = await build({ EVENT_STREAMS_MAX: '1' });
    const url = `${await small.listen(0)}${events}`;
    let closed = false;
    try {
      const opened = orders.nextStream();
      const first = await subscribe(url);
      await opened;
      const second = await subscribe(url);
      expect(second.status).toBe(503);
      expect(((await second.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);

      // The open stream would otherwise hold the shutdown for as long as its client stays.
      const closedBefore = orders.closed;
      await small.close();
      closed = true;
      expect(await first.text()).toBe('');
      await until(() => orders.closed > closedBefore);
    } finally {
      if (!closed) await small.close();
    }
  });
});
