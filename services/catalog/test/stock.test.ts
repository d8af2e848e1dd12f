import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEvent, deliver as deliverTo, describeOnDatabases, startTestService, type TestService } from '@emporium/testing';
import type { CloudEvent } from '@emporium/contracts/events';
import { stockChanged } from '@emporium/contracts/inventory';
import service from '../src/service.ts';

/** A stock.changed event as inventory publishes it. */
function stockEvent(productId: string, available: number, reserved = 0, version?: number): CloudEvent<unknown> {
  return cloudEvent(stockChanged, { productId, available, reserved, ...(version === undefined ? {} : { version }) }, productId);
}

describeOnDatabases('catalog stock read model', (kind) => {
  let svc: TestService;
  let admin: { authorization: string };

  beforeAll(async () => {
    svc = await startTestService(service, kind);
    admin = await svc.tokens.auth({ roles: ['customer', 'admin'] });
    const category = await svc.app.inject({ method: 'POST', url: '/categories', headers: admin, payload: { slug: 'tea', name: 'Tea' } });
    expect(category.statusCode).toBe(201);
  });
  afterAll(() => svc?.close());

  const deliver = (event: CloudEvent<unknown>) => deliverTo(svc.transport, event);
  const createProduct = async (sku: string, initialStock: number) => {
    const res = await svc.app.inject({ method: 'POST', url: '/products', headers: admin, payload: { sku, name: sku, description: '', price: { amount: 500, currency: 'USD' }, category: 'tea', initialStock } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; updatedAt: string };
  };
  const shown = async (id: string) => {
    const res = await svc.app.inject({ method: 'GET', url: `/products/${id}` });
    expect(res.statusCode).toBe(200);
    return res.json() as { stock: { available: number }; updatedAt: string };
  };

  it('shows the stock inventory last announced, on the product and in the list', async () => {
    const product = await createProduct('STK-1', 10);
    expect((await shown(product.id)).stock).toEqual({ available: 10 });

    await deliver(stockEvent(product.id, 7, 3));
    const after = await shown(product.id);
    expect(after.stock).toEqual({ available: 7 });
    // A stock change is not an edit of the product.
    expect(after.updatedAt).toBe(product.updatedAt);
    const list = await svc.app.inject({ method: 'GET', url: '/products?search=STK' });
    expect(list.json().data.map((p: { stock: unknown }) => p.stock)).toEqual([{ available: 7 }]);

    const sellOut = stockEvent(product.id, 0, 10);
    await deliver(sellOut);
    await deliver(sellOut);
    expect((await shown(product.id)).stock).toEqual({ available: 0 });
  });

  it('applies a stock change only if it is newer than the one shown: a stale redelivery changes nothing', async () => {
    const product = await createProduct('STK-2', 10);
    const older = stockEvent(product.id, 8, 2, 2);
    const newer = stockEvent(product.id, 5, 5, 3);
    await deliver(older);
    await deliver(newer);
    expect((await shown(product.id)).stock).toEqual({ available: 5 });
    // The older event comes again (a redelivery after a newer one, or out of order across consumers).
    await deliver({ ...older, id: randomUUID() });
    expect((await shown(product.id)).stock).toEqual({ available: 5 });
    // An event of inventory before versions (no version) no longer overwrites a versioned copy.
    await deliver(stockEvent(product.id, 9));
    expect((await shown(product.id)).stock).toEqual({ available: 5 });
    await deliver(stockEvent(product.id, 1, 9, 4));
    expect((await shown(product.id)).stock).toEqual({ available: 1 });
    expect(await svc.built.ctx.messaging.deadLetters()).toEqual([]);
  });

  it('ignores stock of a product it does not have, without a dead letter', async () => {
    const ghost = randomUUID();
    await deliver(stockEvent(ghost, 5));
    expect((await svc.app.inject({ method: 'GET', url: `/products/${ghost}` })).statusCode).toBe(404);
    expect(await svc.built.ctx.messaging.deadLetters()).toEqual([]);
  });
});
