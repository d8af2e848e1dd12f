import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { startCart, type CartService } from './helpers.ts';

describeOnDatabases('cart bad input', (kind) => {
  let c: CartService;
  let userId: string;
  let tea: string;
  beforeAll(async () => {
    c = await startCart(kind);
    userId = randomUUID();
    tea = await c.product();
    await c.add(userId, tea, 2);
  });
  afterAll(() => c.close());

  const expect400 = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, what: string) => {
    expect(res.statusCode, what).toBe(400);
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    expect(res.json(), what).toMatchObject({ status: 400, detail: expect.any(String) });
  };

  it('answers 400 to a bad add and writes nothing', async () => {
    const before = await c.cart(userId);
    const bodies: unknown[] = [
      {},
      { productId: tea },
      { quantity: 1 },
      { productId: 'not-a-uuid', quantity: 1 },
      { productId: tea, quantity: 0 },
      { productId: tea, quantity: -1 },
      { productId: tea, quantity: 100 },
      { productId: tea, quantity: 1.5 },
      { productId: tea, quantity: '2' },
      { productId: tea, quantity: null },
      { productId: tea, quantity: 1, extra: 1 },
      [],
      [{ productId: tea, quantity: 1 }],
    ];
    for (const payload of bodies) {
      const res = await c.app.inject({ method: 'POST', url: '/cart/items', headers: await c.auth(userId), payload: payload as object });
      expect400(res, JSON.stringify(payload));
    }
    const malformed = await c.app.inject({ method: 'POST', url: '/cart/items', headers: { ...(await c.auth(userId)), 'content-type': 'application/json' }, payload: '{"productId": ' });
    expect400(malformed, 'malformed JSON');
    expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    const text = await c.app.inject({ method: 'POST', url: '/cart/items', headers: { ...(await c.auth(userId)), 'content-type': 'text/plain' }, payload: 'two of the tea' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const untyped = await c.app.inject({ method: 'POST', url: '/cart/items', headers: await c.auth(userId), payload: 'two of the tea' });
    expect(untyped.statusCode).toBe(415);
    expect(await c.cart(userId)).toEqual(before);
  });

  it('answers 400 to a bad quantity or product id in PATCH and DELETE, and writes nothing', async () => {
    const before = await c.cart(userId);
    const headers = await c.auth(userId);
    for (const payload of [{}, { quantity: 0 }, { quantity: 100 }, { quantity: 'many' }, { quantity: 1, productId: tea }]) {
      expect400(await c.app.inject({ method: 'PATCH', url: `/cart/items/${tea}`, headers, payload }), `PATCH ${JSON.stringify(payload)}`);
    }
    expect400(await c.app.inject({ method: 'PATCH', url: '/cart/items/not-a-uuid', headers, payload: { quantity: 1 } }), 'PATCH bad id');
    expect400(await c.app.inject({ method: 'DELETE', url: '/cart/items/not-a-uuid', headers }), 'DELETE bad id');
    expect400(await c.app.inject({ method: 'DELETE', url: `/cart/items/${tea}'`, headers }), 'DELETE quoted id');
    expect(await c.cart(userId)).toEqual(before);
  });
});
