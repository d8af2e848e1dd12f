import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startRecommendations, type Recommendations } from './helpers.ts';

describeOnDatabases('recommendations', (kind) => {
  let r: Recommendations;
  beforeAll(async () => {
    r = await startRecommendations(kind);
  });
  afterAll(() => r.close());

  const names = async (productId: string, limit?: number) => (await r.recommend(productId, limit)).data.map((x) => [x.name, x.orders]);

  it('lists the products most often bought together first, ties by name', async () => {
    const [kettle, tea, mug, cups, filter] = [await r.product('Kettle'), await r.product('Tea'), await r.product('Mug'), await r.product('Cups'), await r.product('Filter')];
    await r.deliver(r.order([kettle, tea, mug]));
    await r.deliver(r.order([kettle, tea]));
    await r.deliver(r.order([kettle, cups]));
    await r.deliver(r.order([kettle, filter]));
    await r.deliver(r.order([tea, mug]));

    expect(await r.recommend(kettle)).toEqual({
      productId: kettle,
      data: [
        { productId: tea, name: 'Tea', orders: 2 },
        { productId: cups, name: 'Cups', orders: 1 },
        { productId: filter, name: 'Filter', orders: 1 },
        { productId: mug, name: 'Mug', orders: 1 },
      ],
    });
    // Both directions of each pair count.
    expect(await names(tea)).toEqual([['Kettle', 2], ['Mug', 2]]);
    expect(await names(mug)).toEqual([['Tea', 2], ['Kettle', 1]]);
  });

  it('gives at most `limit`, 5 by default', async () => {
    const hub = await r.product('Hub');
    const others = [];
    for (let i = 0; i < 7; i++) others.push(await r.product(`Spoke ${i}`));
    await r.deliver(r.order([hub, ...others]));
    expect(await names(hub)).toHaveLength(5);
    expect(await names(hub, 2)).toEqual([['Spoke 0', 1], ['Spoke 1', 1]]);
    expect(await names(hub, 20)).toHaveLength(7);
  });

  it('counts a product on two lines of one order once, and never pairs it with itself', async () => {
    const [a, b] = [await r.product('Apple'), await r.product('Banana')];
    await r.deliver(r.order([a, b, a, b.toUpperCase()]));
    expect(await names(a)).toEqual([['Banana', 1]]);
    expect(await names(b)).toEqual([['Apple', 1]]);
  });

  it('counts an order once when order.confirmed is delivered twice, or twice at once', async () => {
    const [a, b] = [await r.product('Alpha'), await r.product('Beta')];
    const order = r.order([a, b]);
    await r.deliver(order);
    await r.deliver(order);
    const racing = r.order([a, b]);
    await Promise.all([r.deliver(racing), r.deliver(racing)]);
    expect(await names(a)).toEqual([['Beta', 2]]);
    expect(await r.built.ctx.messaging.deadLetters()).toEqual([]);
  });

  it('leaves deleted products out', async () => {
    const [a, b, c] = [await r.product('One'), await r.product('Two'), await r.product('Three')];
    await r.deliver(r.order([a, b, c]));
    await r.deleteProduct(b);
    expect(await names(a)).toEqual([['Three', 1]]);
    // A deletion that arrives before the product's own events keeps it out for good.
    const early = randomUUID();
    await r.deleteProduct(early);
    await r.product('Back from the dead', { id: early });
    await r.deliver(r.order([a, early]));
    expect(await names(a)).toEqual([['Three', 1]]);
  });

  it('names products from the order when their catalog events have not arrived, and prefers catalog names', async () => {
    const known = await r.product('Known');
    const stranger = randomUUID();
    await r.deliver(r.order([known, stranger], { [stranger]: 'Stranger, as ordered' }));
    expect(await names(known)).toEqual([['Stranger, as ordered', 1]]);

    await r.rename(stranger, 'Stranger, from the catalog');
    expect(await names(known)).toEqual([['Stranger, from the catalog', 1]]);
    // A later order keeps the catalog's name.
    await r.deliver(r.order([known, stranger], { [stranger]: 'Old name' }));
    expect(await names(known)).toEqual([['Stranger, from the catalog', 2]]);
  });

  it('applies the newest catalog name, whichever event arrives first', async () => {
    const a = await r.product('Anchor');
    const b = randomUUID();
    await r.rename(b, 'Renamed');
    await r.product('Original', { id: b, time: new Date(Date.now() - 60_000) });
    await r.deliver(r.order([a, b]));
    expect(await names(a)).toEqual([['Renamed', 1]]);
  });

  it('gives an empty list for a product never ordered or unknown', async () => {
    const lonely = await r.product('Lonely');
    expect(await r.recommend(lonely)).toEqual({ productId: lonely, data: [] });
    const unknown = randomUUID();
    expect(await r.recommend(unknown)).toEqual({ productId: unknown, data: [] });
  });

  it('documents its route in /openapi.json', async () => {
    const doc = (await r.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toContain('/recommendations');
    expect(Object.keys(doc.paths['/recommendations'].get.responses).sort()).toEqual(['200', '400']);
  });

  it('answers 400 problem+json to a bad product id or limit', async () => {
    const id = randomUUID();
    for (const query of ['', 'productId=nope', `productId=${id}'`, `productId=${id}&limit=0`, `productId=${id}&limit=21`, `productId=${id}&limit=x`, `productId=${id}&limit=1.5`]) {
      const res = await r.app.inject({ method: 'GET', url: `/recommendations?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
  });
});
