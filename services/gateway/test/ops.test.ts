import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService } from './stub-service.ts';

/** A request a fake service saw. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** What a fake service answers: a status and a JSON body. */
type Answer = (seen: Seen) => { status: number; body: unknown };

/** A stand-in service that answers every request with `answer`. */
async function fakeService(answer: Answer): Promise<StubService> {
  const stub = await new StubService().start();
  stub.handler = (req, res) => {
    const { status, body } = answer({ method: req.method!, url: req.url!, headers: req.headers });
    json(res, status, body, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
  };
  return stub;
}

const letter = (createdAt: string) => ({
  id: randomUUID(),
  eventId: randomUUID(),
  purpose: 'index-products',
  type: 'product.created',
  subject: 'p-1',
  reason: 'failed',
  error: 'boom',
  attempts: 5,
  createdAt,
  replayedAt: null,
  envelope: '{}',
});

const notFound = { type: 'https://emporium.dev/problems/not-found', title: 'Not found', status: 404, detail: 'There is nothing here.', code: 'NOT_FOUND' };

describe('gateway ops routes', () => {
  const older = letter('2024-05-01T10:00:00.000Z');
  const newer = letter('2024-05-02T10:00:00.000Z');
  let replayAnswer: { status: number; body: unknown } = { status: 200, body: { handled: true } };
  let catalog: Awaited<ReturnType<typeof fakeService>>;
  let identity: Awaited<ReturnType<typeof fakeService>>;
  let tokens: TestTokens;
  let gw: BuiltService;
  let admin: { authorization: string };

  beforeAll(async () => {
    // catalog has two dead letters and replays on demand; identity predates the ops routes.
    catalog = await fakeService(({ url }) => {
      if (url === '/ops/outbox') return { status: 200, body: { unpublished: 3, oldestCreatedAt: '2024-05-03T10:00:00.000Z' } };
      return url.startsWith('/ops/dead-letters?') ? { status: 200, body: { data: [older, newer] } } : replayAnswer;
    });
    identity = await fakeService(() => ({ status: 404, body: notFound }));
    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    gw = await buildService(gateway, {
      source: { LOG_LEVEL: 'silent', CATALOG_URL: catalog.url, IDENTITY_URL: identity.url, UPSTREAM_TIMEOUT_MS: '500' },
      verifier: tokens.verifier,
    });
  });
  afterAll(async () => {
    await gw.close();
    await catalog.stop();
    await identity.stop();
  });

  it('refuses anonymous callers with 401 and customers with 403, before asking any service', async () => {
    const before = catalog.calls.length + identity.calls.length;
    const anonymous = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const customer = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters', headers: await tokens.auth() });
    expect(customer.statusCode).toBe(403);
    const replay = await gw.app.inject({ method: 'POST', url: `/api/v1/ops/dead-letters/catalog/${older.id}/replay`, headers: await tokens.auth() });
    expect(replay.statusCode).toBe(403);
    expect(catalog.calls.length + identity.calls.length).toBe(before);
  });

  it('merges every service’s dead letters newest first, and names the services without them', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters', headers: admin });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data).toEqual([{ ...newer, service: 'catalog' }, { ...older, service: 'catalog' }]);
    // Other upstreams the gateway knows have no stand-in here, so they are unavailable too.
    expect(body.unavailable).toContain('identity');
    expect(body.unavailable).not.toContain('catalog');
    // Each service was asked with the caller's token.
    for (const service of [catalog, identity]) {
      const call = service.calls.at(-1)!;
      expect(call.url).toBe('/ops/dead-letters?includeReplayed=false&limit=100');
      expect(call.headers.authorization).toBe(admin.authorization);
    }
  });

  it("reports every service's outbox backlog to admins, naming those that do not answer", async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/outbox', headers: await tokens.auth() })).statusCode).toBe(403);
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/outbox', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([{ service: 'catalog', unpublished: 3, oldestCreatedAt: '2024-05-03T10:00:00.000Z' }]);
    expect(res.json().unavailable).toContain('identity');
    expect(catalog.calls.at(-1)!.headers.authorization).toBe(admin.authorization);
  });

  it('passes the query on and applies the limit to the merged list', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters?includeReplayed=true&limit=1', headers: admin });
    expect(res.json().data.map((l: { id: string }) => l.id)).toEqual([newer.id]);
    expect(catalog.calls.at(-1)!.url).toBe('/ops/dead-letters?includeReplayed=true&limit=1');
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters?limit=0', headers: admin })).statusCode).toBe(400);
  });

  it('forwards a replay to the service with the caller’s token and passes its answer through', async () => {
    replayAnswer = { status: 200, body: { handled: true } };
    const ok = await gw.app.inject({ method: 'POST', url: `/api/v1/ops/dead-letters/catalog/${older.id}/replay`, headers: admin });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ handled: true });
    const call = catalog.calls.at(-1)!;
    expect(call).toMatchObject({ method: 'POST', url: `/ops/dead-letters/${older.id}/replay` });
    expect(call.headers.authorization).toBe(admin.authorization);

    const failed = { type: 'https://emporium.dev/problems/messaging-replay-failed', title: 'The replayed message failed again', status: 409, detail: 'The handler failed again: boom', code: 'MESSAGING_REPLAY_FAILED' };
    replayAnswer = { status: 409, body: failed };
    const conflict = await gw.app.inject({ method: 'POST', url: `/api/v1/ops/dead-letters/catalog/${older.id}/replay`, headers: admin });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.json()).toEqual(failed);
  });

  it('answers 404 for an unknown service and 400 for a malformed id, without calling anyone', async () => {
    const before = catalog.calls.length + identity.calls.length;
    const unknown = await gw.app.inject({ method: 'POST', url: `/api/v1/ops/dead-letters/nowhere/${older.id}/replay`, headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect(unknown.json()).toMatchObject({ code: 'NOT_FOUND', detail: expect.stringContaining('nowhere') });
    const bad = await gw.app.inject({ method: 'POST', url: '/api/v1/ops/dead-letters/catalog/not-a-uuid/replay', headers: admin });
    expect(bad.statusCode).toBe(400);
    expect(catalog.calls.length + identity.calls.length).toBe(before);
  });

  it('lists a service that does not answer as unavailable', async () => {
    // identity stops answering altogether, rather than answering 404.
    await identity.stop();
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json().unavailable).toContain('identity');
    expect(res.json().unavailable).not.toContain('catalog');
    expect(res.json().data).toHaveLength(2);
  });
});

describe('gateway ops fan-out and the proxy keep separate breakers', () => {
  let catalog: StubService;
  let orders: StubService;
  let tokens: TestTokens;
  let gw: BuiltService;
  let admin: { authorization: string };

  beforeAll(async () => {
    // Each backend's ops routes fail with 500; what shoppers use answers 200.
    const opsFail: Answer = ({ url }) => (url.startsWith('/ops/') ? { status: 500, body: { title: 'boom', status: 500 } } : { status: 200, body: { data: [] } });
    catalog = await fakeService(opsFail);
    orders = await fakeService(opsFail);
    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    gw = await buildService(gateway, {
      source: { LOG_LEVEL: 'silent', CATALOG_URL: catalog.url, ORDERS_URL: orders.url, UPSTREAM_TIMEOUT_MS: '500' },
      verifier: tokens.verifier,
    });
  });
  afterAll(async () => {
    await gw.close();
    await catalog.stop();
    await orders.stop();
  });

  it("opens only the ops clients' breakers when ops routes fail; shoppers' proxied calls still go through", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/outbox', headers: admin })).json().unavailable).toContain('catalog');
      await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters', headers: admin });
      expect((await gw.app.inject({ method: 'GET', url: '/api/v1/ops/sagas', headers: admin })).statusCode).toBeGreaterThanOrEqual(500);
    }
    const breakers = (await gw.app.inject({ method: 'GET', url: '/api/v1/ops/breakers', headers: admin })).json() as { data: Array<{ service: string; clients: Array<{ purpose: string; state: string }> }> };
    const of = (service: string) => Object.fromEntries(breakers.data.find((d) => d.service === service)!.clients.map((c) => [c.purpose, c.state]));
    expect(of('catalog')).toMatchObject({ proxy: 'closed', ops: 'open' });
    expect(of('orders')).toMatchObject({ proxy: 'closed', ops: 'open' });

    const before = catalog.calls.length;
    const products = await gw.app.inject({ method: 'GET', url: '/api/v1/products' });
    expect(products.statusCode).toBe(200);
    expect(catalog.calls.length).toBe(before + 1);
    const mine = await gw.app.inject({ method: 'GET', url: '/api/v1/orders', headers: await tokens.auth() });
    expect(mine.statusCode).toBe(200);
  });
});
