import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import type { Shipment } from '@emporium/contracts/shipping';
import { startShipping, type Shipping } from './helpers.ts';

describeOnDatabases('shipments.routes', (kind) => {
  let s: Shipping;
  beforeAll(async () => {
    s = await startShipping(kind);
  });
  afterAll(() => s.close());

  /** Schedules a shipment for a new order of `userId` and returns it as its owner sees it. */
  const scheduled = async (userId = randomUUID()): Promise<Shipment> => {
    const order = await s.schedule({ userId });
    return (await s.shipmentOf(order.orderId, userId))!;
  };
  const move = (id: string, action: 'dispatch' | 'deliver', headers: Record<string, string> = s.admin) =>
    s.app.inject({ method: 'POST', url: `/shipments/${id}/${action}`, headers });
  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code });
  };

  it('dispatches and delivers a shipment, stamping each step and publishing its event', async () => {
    const shipment = await scheduled();
    const facts = { orderId: shipment.orderId, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber, carrier: 'Emporium Post' };

    const dispatched = await move(shipment.id, 'dispatch');
    expect(dispatched.statusCode).toBe(200);
    expect(dispatched.json()).toEqual({ ...shipment, status: 'dispatched', dispatchedAt: expect.any(String) });

    const delivered = await move(shipment.id, 'deliver');
    expect(delivered.statusCode).toBe(200);
    const body = delivered.json() as Shipment;
    expect(body).toMatchObject({ status: 'delivered', dispatchedAt: dispatched.json().dispatchedAt, deliveredAt: expect.any(String) });
    expect(Date.parse(body.deliveredAt!)).toBeGreaterThanOrEqual(Date.parse(body.dispatchedAt!));

    expect((await s.outbox(shipment.orderId)).slice(1)).toEqual([
      { type: 'shipment.dispatched', subject: shipment.orderId, data: facts },
      { type: 'shipment.delivered', subject: shipment.orderId, data: facts },
    ]);
    const owner = await s.app.inject({ method: 'GET', url: `/shipments/${shipment.id}`, headers: await s.auth(shipment.userId) });
    expect(owner.json()).toEqual(body);
  });

  it('answers 409 SHIPPING_INVALID_TRANSITION naming the current status, and changes nothing', async () => {
    const shipment = await scheduled();
    const early = await move(shipment.id, 'deliver');
    expectProblem(early, 409, 'SHIPPING_INVALID_TRANSITION');
    expect(early.json().detail).toContain('scheduled');

    expect((await move(shipment.id, 'dispatch')).statusCode).toBe(200);
    const again = await move(shipment.id, 'dispatch');
    expectProblem(again, 409, 'SHIPPING_INVALID_TRANSITION');
    expect(again.json().detail).toContain('dispatched');

    const cancelledOne = await scheduled();
    await s.cancel(cancelledOne.orderId);
    for (const action of ['dispatch', 'deliver'] as const) {
      const res = await move(cancelledOne.id, action);
      expectProblem(res, 409, 'SHIPPING_INVALID_TRANSITION');
      expect(res.json().detail).toContain('cancelled');
    }
    expect((await s.outbox(shipment.orderId)).map((e) => e.type)).toEqual(['shipment.scheduled', 'shipment.dispatched']);
    expect((await s.outbox(cancelledOne.orderId)).map((e) => e.type)).toEqual(['shipment.scheduled', 'shipment.cancelled']);
  });

  it('lets one of two admins racing to dispatch win, with one event', async () => {
    const shipment = await scheduled();
    const results = await Promise.all([move(shipment.id, 'dispatch'), move(shipment.id, 'dispatch'), move(shipment.id, 'dispatch')]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect((await s.outbox(shipment.orderId)).map((e) => e.type)).toEqual(['shipment.scheduled', 'shipment.dispatched']);
  });

  it('answers 404 for an unknown shipment, and for a cancel tombstone', async () => {
    const unknown = randomUUID();
    for (const action of ['dispatch', 'deliver'] as const) expectProblem(await move(unknown, action), 404, 'SHIPPING_SHIPMENT_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'GET', url: `/shipments/${unknown}`, headers: s.admin }), 404, 'SHIPPING_SHIPMENT_NOT_FOUND');

    const orderId = randomUUID();
    await s.cancel(orderId);
    const tombstoneId = (await s.outbox(orderId))[0]!.data.shipmentId as string;
    expectProblem(await move(tombstoneId, 'dispatch'), 404, 'SHIPPING_SHIPMENT_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'GET', url: `/shipments/${tombstoneId}`, headers: s.admin }), 404, 'SHIPPING_SHIPMENT_NOT_FOUND');
  });

  it('lets only admins dispatch and deliver: 401 without a token, 403 for a customer, the owner included', async () => {
    const shipment = await scheduled();
    for (const action of ['dispatch', 'deliver'] as const) {
      expectProblem(await move(shipment.id, action, {}), 401, 'UNAUTHENTICATED');
      expectProblem(await move(shipment.id, action, { authorization: 'Bearer not-a-token' }), 401, 'UNAUTHENTICATED');
      expectProblem(await move(shipment.id, action, await s.auth(shipment.userId)), 403, 'FORBIDDEN');
    }
    expect((await s.outbox(shipment.orderId)).map((e) => e.type)).toEqual(['shipment.scheduled']);
    for (const url of ['/shipments', `/shipments/${shipment.id}`]) {
      expectProblem(await s.app.inject({ method: 'GET', url }), 401, 'UNAUTHENTICATED');
    }
  });

  it('shows customers only their own shipments; admins see anyone\'s', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const a1 = await scheduled(alice);
    const a2 = await scheduled(alice);
    const b1 = await scheduled(bob);
    const asAlice = await s.auth(alice);
    const asBob = await s.auth(bob);

    const alices = await s.list(asAlice);
    expect(alices.data.map((x) => x.id)).toEqual([a2.id, a1.id]);
    expect(alices.pagination).toEqual({ page: 1, limit: 20, total: 2, pages: 1 });
    expect((await s.list(asBob)).data.map((x) => x.id)).toEqual([b1.id]);

    // Naming someone else's order finds nothing; fetching their shipment answers as if it did not exist.
    expect(await s.list(asAlice, { orderId: b1.orderId })).toEqual({ data: [], pagination: { page: 1, limit: 20, total: 0, pages: 0 } });
    expectProblem(await s.app.inject({ method: 'GET', url: `/shipments/${b1.id}`, headers: asAlice }), 404, 'SHIPPING_SHIPMENT_NOT_FOUND');
    const own = await s.app.inject({ method: 'GET', url: `/shipments/${b1.id}`, headers: asBob });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual(b1);

    expect((await s.list(s.admin, { orderId: b1.orderId })).data).toEqual([b1]);
    const adminGet = await s.app.inject({ method: 'GET', url: `/shipments/${a1.id}`, headers: s.admin });
    expect(adminGet.json()).toEqual(a1);
    const everyone = await s.list(s.admin, { limit: 100 });
    expect(everyone.data.map((x) => x.id)).toEqual(expect.arrayContaining([a1.id, a2.id, b1.id]));
  });

  it('filters by status and pages, newest first', async () => {
    const user = randomUUID();
    const headers = await s.auth(user);
    const [first, second, third] = [await scheduled(user), await scheduled(user), await scheduled(user)];
    expect((await move(second!.id, 'dispatch')).statusCode).toBe(200);

    expect((await s.list(headers, { status: 'dispatched' })).data.map((x) => x.id)).toEqual([second!.id]);
    expect((await s.list(headers, { status: 'scheduled' })).data.map((x) => x.id)).toEqual([third!.id, first!.id]);
    expect((await s.list(headers, { status: 'delivered' })).data).toEqual([]);

    const page2 = await s.list(headers, { limit: 2, page: 2 });
    expect(page2).toMatchObject({ data: [{ id: first!.id }], pagination: { page: 2, limit: 2, total: 3, pages: 2 } });
    expect(await s.list(headers, { limit: 2, page: 9 })).toEqual({ data: [], pagination: { page: 9, limit: 2, total: 3, pages: 2 } });
  });

  it('answers 400 problem+json for bad ids and queries', async () => {
    const headers = await s.auth(randomUUID());
    const bad: Array<[string, string, Record<string, string>]> = [
      ['GET', '/shipments/123', headers],
      ['GET', `/shipments/${encodeURIComponent("1' OR '1'='1")}`, headers],
      ['GET', '/shipments/urn:uuid:0b6b0d2c-9a4e-4d38-9c35-3c0b4f1a7e11', headers],
      ['POST', '/shipments/abc/dispatch', s.admin],
      ['POST', '/shipments/abc/deliver', s.admin],
      ['GET', '/shipments?orderId=42', headers],
      ['GET', '/shipments?status=lost', headers],
      ['GET', '/shipments?status=scheduled&status=dispatched', headers],
      ['GET', '/shipments?limit=0', headers],
      ['GET', '/shipments?limit=101', headers],
      ['GET', '/shipments?page=0', headers],
      ['GET', '/shipments?page=x', headers],
    ];
    for (const [method, url, h] of bad) {
      const res = await s.app.inject({ method: method as 'GET', url, headers: h });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(res.json(), url).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('documents its routes in /openapi.json', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(res.json().paths)).toEqual(
      expect.arrayContaining(['/shipping/quotes', '/shipments', '/shipments/{id}', '/shipments/{id}/dispatch', '/shipments/{id}/deliver']),
    );
  });
});
