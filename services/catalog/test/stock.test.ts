import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEvent, deliver as deliverTo, describeOnDatabases, startTestService, type TestService } from '@emporium/testing';
import type { CloudEvent } from '@emporium/contracts/events';
import { stockChanged } from '@emporium/contracts/inventory';
import service from '../src/service.ts';

/** A stock.changed event as inventory publishes it. */
function stockEvent(productId: string, available: number, reserved = 0): CloudEvent<unknown> {
  return cloudEvent(stockChanged, { productId, available, reserved }, productId);
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

  it('ignores stock of a product it does not have, without a dead letter', async () => {
    const ghost = randomUUID();
    await deliver(stockEvent(ghost, 5));
    expect((await svc.app.inject({ method: 'GET', url: `/products/${ghost}` })).statusCode).toBe(404);
    expect(await svc.built.ctx.messaging.deadLetters()).toEqual([]);
  });
});
