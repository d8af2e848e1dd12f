import { describe, expect, it } from 'vitest';
import { coPurchases, orderedProducts } from '../src/domain/co-purchases.ts';

describe('co-purchases', () => {
  const a = 'aaaaaaaa-0000-4000-8000-000000000000';
  const b = 'bbbbbbbb-0000-4000-8000-000000000000';
  const c = 'cccccccc-0000-4000-8000-000000000000';

  it('pairs each product with every other, in both directions', () => {
    expect(coPurchases([c, a, b])).toEqual([
      { productId: a, otherId: b },
      { productId: a, otherId: c },
      { productId: b, otherId: a },
      { productId: b, otherId: c },
      { productId: c, otherId: a },
      { productId: c, otherId: b },
    ]);
  });

  it('gives no pair for an order of one product, however many lines it has', () => {
    expect(coPurchases([a])).toEqual([]);
    expect(coPurchases([a, a, a.toUpperCase()])).toEqual([]);
  });

  it('keeps each product of an order once, with the name of its first line', () => {
    expect(orderedProducts([{ productId: a, name: 'First' }, { productId: b, name: 'B' }, { productId: a.toUpperCase(), name: 'Second' }])).toEqual([
      { productId: a, name: 'First' },
      { productId: b, name: 'B' },
    ]);
  });
});
