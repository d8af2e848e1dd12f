import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { address, startShipping, type Shipping } from './helpers.ts';

describeOnDatabases('quotes.routes', (kind) => {
  let s: Shipping;
  beforeAll(async () => {
    s = await startShipping(kind, { SHIPPING_UNSERVED_COUNTRIES: 'KP,IR,SY,CU,AQ' });
  });
  afterAll(() => s.close());

  const item = (quantity = 1) => ({ productId: randomUUID(), quantity });
  const post = (payload: unknown, headers: Record<string, string> = {}) => s.app.inject({ method: 'POST', url: '/shipping/quotes', payload: payload as object, headers });

  it('quotes standard and express to anyone, priced by items and destination', async () => {
    const res = await post({ address: address(), items: [item(2), item(1)] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      data: [
        { service: 'standard', carrier: 'Emporium Post', price: { amount: 699, currency: 'USD' }, estimatedDays: 5 },
        { service: 'express', carrier: 'Emporium Express', price: { amount: 1_899, currency: 'USD' }, estimatedDays: 2 },
      ],
    });

    const abroad = await post({ address: address({ country: 'DE', line2: 'Hinterhaus' }), items: [item(2), item(1)] });
    expect(abroad.statusCode).toBe(200);
    expect(abroad.json().data[0].price.amount).toBeGreaterThan(699);
  });

  it('answers 422 SHIPPING_DESTINATION_NOT_SERVED for an unserved country, including one set by SHIPPING_UNSERVED_COUNTRIES', async () => {
    for (const country of ['KP', 'AQ']) {
      const res = await post({ address: address({ country }), items: [item()] });
      expect(res.statusCode, country).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 422, code: 'SHIPPING_DESTINATION_NOT_SERVED', detail: expect.stringContaining(country) });
    }
  });

  it('answers 400 problem+json for bad input', async () => {
    const cases: Array<[string, unknown]> = [
      ['a three-letter country', { address: address({ country: 'USA' }), items: [item()] }],
      ['a lowercase country', { address: address({ country: 'us' }), items: [item()] }],
      ['an empty country', { address: address({ country: '' }), items: [item()] }],
      ['no items', { address: address(), items: [] }],
      ['no address', { items: [item()] }],
      ['a blank name', { address: address({ name: '   ' }), items: [item()] }],
      ['a bad postal code', { address: address({ postalCode: '!' }), items: [item()] }],
      ['a quantity of 0', { address: address(), items: [item(0)] }],
      ['a fractional quantity', { address: address(), items: [item(1.5)] }],
      ['a product id that is not a UUID', { address: address(), items: [{ productId: '42', quantity: 1 }] }],
      ['an extra field', { address: address(), items: [item()], speed: 'fast' }],
      ['101 lines', { address: address(), items: Array.from({ length: 101 }, () => item()) }],
      ['a JSON array', [{ address: address(), items: [item()] }]],
    ];
    for (const [name, payload] of cases) {
      const res = await post(payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
      expect(res.json(), name).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    const broken = await s.app.inject({ method: 'POST', url: '/shipping/quotes', payload: '{"address": ', headers: { 'content-type': 'application/json' } });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'MALFORMED_JSON' });
  });
});
