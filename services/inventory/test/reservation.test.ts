import { describe, expect, it } from 'vitest';
import { checkStock, totals, type StockLevel } from '../src/domain/reservation.ts';

const A = 'aaaaaaaa-0000-4000-8000-000000000000';
const B = 'bbbbbbbb-0000-4000-8000-000000000000';
const C = 'cccccccc-0000-4000-8000-000000000000';

describe('reservation rules', () => {
  it('sums the lines of each product, by lowercase id, in id order', () => {
    const sums = totals([
      { productId: C, quantity: 1 },
      { productId: A.toUpperCase(), quantity: 2 },
      { productId: A, quantity: 3 },
    ]);
    expect([...sums]).toEqual([[A, 5], [C, 1]]);
  });

  it('accepts an order only when every product is known and has enough', () => {
    const levels = new Map<string, StockLevel>([[A, { available: 5, discontinued: false }], [B, { available: 1, discontinued: false }]]);
    expect(checkStock(totals([{ productId: A, quantity: 5 }, { productId: B, quantity: 1 }]), levels)).toEqual({ ok: true });
    expect(checkStock(totals([{ productId: A, quantity: 3 }, { productId: A, quantity: 3 }, { productId: B, quantity: 1 }]), levels)).toEqual({
      ok: false,
      reason: 'out-of-stock',
      shortages: [{ productId: A, requested: 6, available: 5 }],
    });
  });

  it('names unknown and discontinued products before any plain shortage', () => {
    const levels = new Map<string, StockLevel>([[A, { available: 0, discontinued: false }], [B, { available: 9, discontinued: true }]]);
    expect(checkStock(totals([{ productId: A, quantity: 1 }, { productId: B, quantity: 1 }, { productId: C, quantity: 2 }]), levels)).toEqual({
      ok: false,
      reason: 'unknown-product',
      shortages: [{ productId: B, requested: 1, available: 0 }, { productId: C, requested: 2, available: 0 }],
    });
  });
});
