import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService, unreachableUrl } from './stub-service.ts';

// Generous enough for a loaded machine; the slow stand-in answers well after it.
const TIMEOUT_MS = 1_000;

const userId = randomUUID();
const mug = randomUUID();
const tea = randomUUID();
const lamp = randomUUID();

const user = { id: userId, email: 'ada@example.com', name: 'Ada', roles: ['customer'], createdAt: '2024-05-01T10:00:00.000Z' };
const usd = (amount: number) => ({ amount, currency: 'USD' });
const order = (productId: string, createdAt: string) => ({
  id: randomUUID(),
  userId,
  status: 'CONFIRMED',
  items: [{ productId, name: 'A thing', quantity: 1, unitPrice: usd(1200), lineTotal: usd(1200) }],
  total: usd(1200),
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  payment: null,
  shipment: null,
  cancellationReason: null,
  createdAt,
  updatedAt: createdAt,
});
// Listed oldest first on purpose: the dashboard picks the latest by its date, not by its place.
const older = order(tea, '2024-05-02T10:00:00.000Z');
const newer = order(mug, '2024-05-03T10:00:00.000Z');
const together = [{ productId: lamp, name: 'Lamp', orders: 3 }];

describe('GET /api/v1/dashboard', () => {
  let identity: StubService;
  let orders: StubService;
  let recommendations: StubService;
  let tokens: TestTokens;
  let auth: { authorization: string };
  const gateways: BuiltService[] = [];

  /** A gateway over the three stand-ins, with any of their URLs replaced. */
  const build = async (urls: Record<string, string> = {}) => {
    const gw = await buildService(gateway, {
      source: {
        LOG_LEVEL: 'silent',
        IDENTITY_URL: identity.url,
        ORDERS_URL: orders.url,
        RECOMMENDATIONS_URL: recommendations.url,
        DASHBOARD_TIMEOUT_MS: String(TIMEOUT_MS),
        ...urls,
      },
      verifier: tokens.verifier,
    });
    gateways.push(gw);
    return gw;
  };
  const dashboard = (gw: BuiltService, headers: Record<string, string> = auth) => gw.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers });

  beforeAll(async () => {
    [identity, orders, recommendations] = await Promise.all([new StubService().start(), new StubService().start(), new StubService().start()]);
    tokens = await testTokens();
    auth = await tokens.auth({ id: userId });
  });
  // Every test starts with all three answering.
  beforeEach(() => {
    identity.handler = (_req, res) => json(res, 200, user);
    orders.handler = (_req, res) => json(res, 200, { data: [older, newer], pagination: { page: 1, limit: 5, total: 2, pages: 1 } });
    recommendations.handler = (req, res) => json(res, 200, { productId: new URL(req.url!, 'http://x').searchParams.get('productId'), data: together });
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all([identity, orders, recommendations].map((s) => s.stop()));
  });

  it('gathers the user, the recent orders and what goes with the latest order, passing the caller’s token', async () => {
    const res = await dashboard(await build());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user, recentOrders: [older, newer], recommendations: together, notes: [] });
    expect(identity.calls.at(-1)!.url).toBe('/users/me');
    expect(orders.calls.at(-1)!.url).toBe('/orders?limit=5');
    expect(recommendations.calls.at(-1)!.url).toBe(`/recommendations?productId=${mug}&limit=5`);
    for (const stub of [identity, orders, recommendations]) expect(stub.calls.at(-1)!.headers.authorization).toBe(auth.authorization);
  });

  it('asks for no recommendations when the caller has no orders yet', async () => {
    orders.handler = (_req, res) => json(res, 200, { data: [], pagination: { page: 1, limit: 5, total: 0, pages: 0 } });
    const before = recommendations.calls.length;
    const res = await dashboard(await build());
    expect(res.json()).toEqual({ user, recentOrders: [], recommendations: [], notes: [] });
    expect(recommendations.calls.length).toBe(before);
  });

  it('answers 200 without the orders when orders is down, and says so', async () => {
    const res = await dashboard(await build({ ORDERS_URL: await unreachableUrl() }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user,
      recentOrders: [],
      recommendations: [],
      notes: ['recentOrders: orders is unavailable (could not be reached)'],
    });
  });

  it('answers 200 without the recommendations when they come after the timeout', async () => {
    recommendations.handler = (_req, res) => setTimeout(() => json(res, 200, { productId: mug, data: together }), TIMEOUT_MS * 2.5);
    const res = await dashboard(await build());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user,
      recentOrders: [older, newer],
      recommendations: [],
      notes: [`recommendations: recommendations is unavailable (timed out after ${TIMEOUT_MS} ms)`],
    });
  });

  it('names a 5xx, an answer that breaks the contract, and then an open circuit', async () => {
    const gw = await build();
    identity.handler = (_req, res) => json(res, 200, { ...user, roles: 'customer' });
    orders.handler = (_req, res) => json(res, 503, { code: 'NOT_READY' });
    const first = await dashboard(gw);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user: null, recentOrders: [], recommendations: [] });
    expect(first.json().notes).toEqual(['user: identity is unavailable (its answer does not match its contract)', 'recentOrders: orders is unavailable (answered 503)']);

    // After enough failures the dashboard stops calling orders for a while.
    for (let i = 0; i < 5; i++) await dashboard(gw);
    const before = orders.calls.length;
    const open = await dashboard(gw);
    expect(open.statusCode).toBe(200);
    expect(open.json().notes).toContain('recentOrders: orders is unavailable (its circuit is open)');
    expect(orders.calls.length).toBe(before);
  });

  it('answers 401 without a token, before calling anyone', async () => {
    const gw = await build();
    const before = identity.calls.length + orders.calls.length;
    const res = await dashboard(gw, {});
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('UNAUTHENTICATED');
    expect(identity.calls.length + orders.calls.length).toBe(before);
  });

  it('answers 401 when identity refuses the token', async () => {
    identity.handler = (_req, res) => json(res, 401, { code: 'UNAUTHENTICATED' }, { 'content-type': 'application/problem+json' });
    const res = await dashboard(await build());
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });
});
