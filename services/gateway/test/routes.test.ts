import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';
import { json, StubService } from './stub-service.ts';

/** Every service the gateway routes to, with the setting that points at it. */
const SERVICES = {
  identity: 'IDENTITY_URL',
  catalog: 'CATALOG_URL',
  inventory: 'INVENTORY_URL',
  cart: 'CART_URL',
  orders: 'ORDERS_URL',
  payments: 'PAYMENTS_URL',
  shipping: 'SHIPPING_URL',
  notifications: 'NOTIFICATIONS_URL',
  recommendations: 'RECOMMENDATIONS_URL',
} as const;
type Service = keyof typeof SERVICES;

describe('gateway routes to the services', () => {
  const stubs = {} as Record<Service, StubService>;
  let tokens: TestTokens;
  let gw: BuiltService;

  beforeAll(async () => {
    const source: Record<string, string> = { LOG_LEVEL: 'silent', UPSTREAM_TIMEOUT_MS: '1000' };
    for (const [service, setting] of Object.entries(SERVICES) as Array<[Service, string]>) {
      const stub = await new StubService().start();
      // Each stand-in says who it is; as every service has a database, each has dead letters to list.
      stub.handler = (req, res) =>
        req.url!.startsWith('/ops/dead-letters')
          ? json(res, 200, { data: [] })
          : json(res, 200, { service, method: req.method, url: req.url });
      stubs[service] = stub;
      source[setting] = stub.url;
    }
    tokens = await testTokens();
    gw = await buildService(gateway, { source, verifier: tokens.verifier });
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all(Object.values(stubs).map((s) => s.stop()));
  });

  const id = randomUUID();
  const cases: Array<[method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, service: Service]> = [
    ['GET', `/inventory/${id}`, 'inventory'],
    ['PUT', `/inventory/${id}`, 'inventory'],
    ['GET', '/cart', 'cart'],
    ['POST', '/cart/items', 'cart'],
    ['DELETE', `/cart/items/${id}`, 'cart'],
    ['POST', '/orders', 'orders'],
    ['GET', `/orders/${id}?x=1`, 'orders'],
    ['POST', `/orders/${id}/cancel`, 'orders'],
    ['GET', `/payments?orderId=${id}`, 'payments'],
    ['POST', `/payments/${id}/refund`, 'payments'],
    ['GET', `/shipments?orderId=${id}`, 'shipping'],
    ['POST', `/shipments/${id}/dispatch`, 'shipping'],
    ['POST', '/shipping/quotes', 'shipping'],
    ['GET', `/recommendations?productId=${id}`, 'recommendations'],
    ['GET', '/ops/sagas?filter=problem', 'orders'],
    ['POST', `/ops/sagas/${id}/retry`, 'orders'],
    ['POST', `/ops/sagas/${id}/compensate`, 'orders'],
  ];

  it.each(cases)('%s /api/v1%s goes to %s, below the prefix', async (method, path, service) => {
    const hasBody = method !== 'GET' && method !== 'DELETE';
    const res = await gw.app.inject({ method, url: `/api/v1${path}`, headers: await tokens.auth({ roles: ['admin'] }), ...(hasBody ? { payload: {} } : {}) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ service, method, url: path });
  });

  it('keeps /api/v1/ops/dead-letters as the gateway’s own, gathered from all nine services', async () => {
    const admin = await tokens.auth({ roles: ['admin'] });
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/ops/dead-letters', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [], unavailable: [] });
    for (const stub of Object.values(stubs)) expect(stub.calls.at(-1)!.url).toBe('/ops/dead-letters?includeReplayed=false&limit=100');
  });

  it('lists the new services’ paths and the dashboard in the public API document', async () => {
    const path = (p: string) => ({ get: { summary: p, responses: {} } });
    for (const [service, stub] of Object.entries(stubs)) {
      stub.handler = (req, res) =>
        req.url === '/openapi.json'
          ? json(res, 200, { openapi: '3.1.0', paths: { [`/${service}-only`]: path('x'), '/orders/{id}/events': path('events'), '/ops/sagas': path('sagas'), '/ops/dead-letters': path('dl') } })
          : json(res, 404, {});
    }
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = res.json();
    expect(doc['x-unavailable']).toBeUndefined();
    // Only the paths the gateway routes to a service are published, under that service's tag.
    expect(doc.paths['/api/v1/orders/{id}/events'].get.tags).toEqual(['orders']);
    expect(doc.paths['/api/v1/ops/sagas'].get.tags).toEqual(['orders']);
    expect(doc.paths['/api/v1/ops/dead-letters']).toBeDefined();
    expect(doc.paths['/api/v1/ops/dead-letters'].get.tags).toEqual(['ops']);
    expect(doc.paths['/api/v1/dashboard'].get.security).toEqual([{ bearer: [] }]);
    const tags = doc.tags.map((t: { name: string }) => t.name);
    for (const service of Object.keys(SERVICES)) expect(tags).toContain(service);
  });
});
