import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService } from './stub-service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const METRICS_TOKEN = 'gateway-scrape-token-0123456789';

/** Sends a POST with `Expect: 100-continue` and its body only once the server says continue, as curl does over 1 KiB. */
function postExpectingContinue(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
  });
}

/**
 * The holes an outside attack found at the edge, each replayed against a gateway in front of
 * stand-in services. Every test here failed before its fix.
 */
describe('gateway under attack', () => {
  let recommendations: StubService;
  let catalog: StubService;
  let identity: StubService;
  let tokens: TestTokens;
  let gw: BuiltService;
  let url: string;

  beforeAll(async () => {
    recommendations = await new StubService().start();
    catalog = await new StubService().start();
    identity = await new StubService().start();
    tokens = await testTokens();
    gw = await buildService(gateway, {
      source: {
        LOG_LEVEL: 'silent',
        RECOMMENDATIONS_URL: recommendations.url,
        CATALOG_URL: catalog.url,
        IDENTITY_URL: identity.url,
        RATE_LIMIT_PER_IP: '1000',
        RATE_LIMIT_PER_USER: '1000',
        BODY_LIMIT: '2048',
        METRICS_TOKEN,
      },
      verifier: tokens.verifier,
    });
    url = await gw.listen(0);
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([recommendations.stop(), catalog.stop(), identity.stop()]);
  });
  const breaker = async (service: string) => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/breakers', headers: await tokens.auth({ roles: ['admin'] }) });
    const all = res.json<{ data: Array<{ service: string; clients: Array<{ purpose: string; state: string }> }> }>().data;
    return all.find((b) => b.service === service)!.clients.find((c) => c.purpose === 'proxy')!.state;
  };

  it('routes a percent-encoded path through every edge hook and forwards the plain path; such calls never open a breaker', async () => {
    recommendations.handler = (req, res) => json(res, 200, { path: req.url });
    // 1. The hooks see the request: a forged token is refused at the edge.
    const forged = (await tokens.sign({ roles: ['admin'] })).slice(0, -4) + 'AAAA';
    const refused = await gw.app.inject({ method: 'GET', url: '/%61pi/v1/recommendations?productId=p1', headers: { authorization: `Bearer ${forged}` } });
    expect(refused.statusCode).toBe(401);
    // 2. The service is asked for the plain path, with its leading slash.
    for (let i = 0; i < 10; i++) {
      const res = await gw.app.inject({ method: 'GET', url: '/%61pi/v1/recommendations?productId=p1' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ path: '/recommendations?productId=p1' });
    }
    // 3. Every user still gets through.
    expect(await breaker('recommendations')).toBe('closed');
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/recommendations?productId=p1' })).statusCode).toBe(200);
  });

  it('charges a percent-encoded path to the caller’s rate-limit budget', async () => {
    const limited = await buildService(gateway, {
      source: { LOG_LEVEL: 'silent', RECOMMENDATIONS_URL: recommendations.url, IDENTITY_URL: identity.url, RATE_LIMIT_PER_IP: '3' },
      verifier: tokens.verifier,
    });
    try {
      recommendations.handler = (_req, res) => json(res, 200, {});
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.app.inject({ method: 'GET', url: '/%61pi/v1/recommendations?productId=p1', remoteAddress: '192.0.2.40' })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // The refusals are counted for the dashboards, and the proxy's breaker shows closed.
      const metrics = (await limited.app.inject({ method: 'GET', url: '/metrics', headers: await tokens.auth({ roles: ['admin'] }), remoteAddress: '192.0.2.41' })).body;
      expect(metrics).toMatch(/^gateway_rate_limit_rejections_total\{kind="ip",service="gateway"\} 2$/m);
      expect(metrics).toMatch(/^http_client_breaker_state\{upstream="recommendations",client="proxy",state="closed",service="gateway"\} 1$/m);
    } finally {
      await limited.close();
    }
  });

  it('answers Expect: 100-continue itself and passes the body on, so such calls succeed and never feed the breaker', async () => {
    catalog.handler = (req, res, body) => json(res, 201, { expect: req.headers.expect ?? null, length: body.length });
    const body = JSON.stringify({ name: 'x'.repeat(1_500) });
    for (let i = 0; i < 8; i++) {
      const res = await postExpectingContinue(`${url}/api/v1/products`, body);
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body)).toEqual({ expect: null, length: body.length });
    }
    expect(await breaker('catalog')).toBe('closed');
  });

  it('holds a body the client sends too much of against the client (413), never against the service', async () => {
    catalog.handler = (_req, res) => json(res, 201, {});
    const big = Buffer.from(JSON.stringify({ name: 'x'.repeat(4096) }));
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${url}/api/v1/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Readable.toWeb(Readable.from([big])) as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await breaker('catalog')).toBe('closed');
  });

  it('validates the correlation id once: the response, the problem and the service all carry the same one', async () => {
    identity.handler = (req, res) => json(res, 200, { seen: req.headers['x-correlation-id'] });
    const forwarded = await gw.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-correlation-id': 'not valid\u0001id' } });
    const minted = forwarded.headers['x-correlation-id'] as string;
    expect(minted).toMatch(UUID);
    expect(forwarded.json().seen).toBe(minted);

    const problem = await gw.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { 'x-correlation-id': 'x'.repeat(400) } });
    expect(problem.headers['x-correlation-id']).toMatch(UUID);
    expect(problem.json().correlationId).toBe(problem.headers['x-correlation-id']);
  });

  it('keeps /metrics to operators and charges its probes and documents to the per-IP budget', async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await gw.app.inject({ method: 'GET', url: '/metrics', headers: await tokens.auth() })).statusCode).toBe(403);
    expect((await gw.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(200);

    const limited = await buildService(gateway, { source: { LOG_LEVEL: 'silent', IDENTITY_URL: identity.url, RATE_LIMIT_PER_IP: '2' }, verifier: tokens.verifier });
    try {
      for (const path of ['/health/live', '/health/ready', '/metrics', '/openapi.json']) {
        const remoteAddress = `192.0.2.${path.length}`;
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await limited.app.inject({ method: 'GET', url: path, remoteAddress })).statusCode);
        expect(statuses.at(-1), path).toBe(429);
      }
    } finally {
      await limited.close();
    }
  });

  it('answers every refusal of its own as a problem: a plain OPTIONS, a wrong method, oversized headers', async () => {
    const options = await gw.app.inject({ method: 'OPTIONS', url: '/api/v1/products' });
    expect(options.statusCode).toBe(204);

    const wrongMethod = await gw.app.inject({ method: 'DELETE', url: '/api/v1/dashboard', headers: await tokens.auth() });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toContain('GET');
    expect(wrongMethod.headers['content-type']).toContain('application/problem+json');

    const huge = await fetch(`${url}/api/v1/products`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(huge.status).toBe(431);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
    expect(((await huge.json()) as { status: number }).status).toBe(431);
  });
});
