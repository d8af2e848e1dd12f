import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService } from './stub-service.ts';

const METRICS_TOKEN = 'shed-test-metrics-token-0123';

async function shedCount(gw: BuiltService, reason: string): Promise<number> {
  const text = (await gw.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body;
  const line = text.split('\n').find((l) => l.startsWith('gateway_shed_requests_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('gateway load shedding', () => {
  let catalog: StubService;
  // One gateway per signal, so a busy test machine's own lag cannot stand in for the other.
  let gw: BuiltService;
  let lagging: BuiltService;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    catalog = await new StubService().start();
    // The catalog holds every answer until the test lets it go: requests stay in flight.
    catalog.handler = (_req, res) => void held.push(res);
    const tokens = await testTokens();
    const source = { LOG_LEVEL: 'silent', CATALOG_URL: catalog.url, IDENTITY_URL: catalog.url, UPSTREAM_TIMEOUT_MS: '10000', SHED_RETRY_AFTER_SECONDS: '3', METRICS_TOKEN };
    gw = await buildService(gateway, { source: { ...source, SHED_MAX_IN_FLIGHT: '2', SHED_EVENT_LOOP_DELAY_MS: '60000' }, verifier: tokens.verifier });
    lagging = await buildService(gateway, { source: { ...source, SHED_EVENT_LOOP_DELAY_MS: '150' }, verifier: tokens.verifier });
  });
  afterAll(async () => {
    for (const res of held) json(res, 200, {});
    await gw.close();
    await lagging.close();
    await catalog.stop();
  });

  it('answers 503 with Retry-After at once past the in-flight limit, keeps the liveness probe, and takes requests again once the others finish', async () => {
    const first = gw.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.1' });
    const second = gw.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.2' });
    await vi.waitFor(() => expect(held).toHaveLength(2), { timeout: 5_000, interval: 10 });

    const refused = await gw.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.3' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('3');
    expect(refused.json()).toMatchObject({ status: 503, code: 'GATEWAY_OVERLOADED' });
    expect(refused.json().detail).toMatch(/2 requests in flight/);
    // Nothing was queued: the catalog never saw the refused request.
    expect(catalog.calls).toHaveLength(2);
    expect((await gw.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect(await shedCount(gw, 'in_flight')).toBe(1);

    for (const res of held.splice(0)) json(res, 200, { data: [] });
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
    catalog.handler = (_req, res) => json(res, 200, { data: [] });
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.4' })).statusCode).toBe(200);
  });

  it('answers 503 with Retry-After while the event loop lags, and serves again once it recovers', async () => {
    catalog.handler = (_req, res) => json(res, 200, { data: [] });
    // Lags this process's event loop well over the limit for three seconds, as a CPU-starved
    // gateway's would be: 300 ms busy, a moment free, again. The delay is a mean over each second,
    // so one long block would be diluted by the quick ticks that follow it; a sustained lag is not.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      const busyUntil = Date.now() + 300;
      while (Date.now() < busyUntil) {
        // busy: no timer, no I/O runs meanwhile
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The last second's mean holds until the next sample: the gateway refuses now.
    await vi.waitFor(async () => {
      const res = await lagging.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.5' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.json().detail).toMatch(/event loop delay/);
    }, { timeout: 3_000, interval: 20 });
    expect((await lagging.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect(await shedCount(lagging, 'event_loop_delay')).toBeGreaterThanOrEqual(1);
    await vi.waitFor(async () => expect((await lagging.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '192.0.2.6' })).statusCode).toBe(200), { timeout: 15_000, interval: 200 });
  });
});
