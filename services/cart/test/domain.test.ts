import { describe, expect, it } from 'vitest';
import { priceCart } from '../src/domain/cart.ts';

describe('priceCart', () => {
  const userId = '00000000-0000-4000-8000-000000000001';
  const line = (productId: string, quantity: number, amount: number, currency = 'USD') => ({ productId, name: productId, quantity, unitPrice: { amount, currency } });

  it('multiplies each line, counts the items and totals the cart in integer cents', () => {
    const cart = priceCart(userId, [line('a', 3, 333), line('b', 1, 1)], new Date('2024-05-01T10:00:00Z'));
    expect(cart.items.map((l) => l.lineTotal)).toEqual([{ amount: 999, currency: 'USD' }, { amount: 1, currency: 'USD' }]);
    expect(cart.itemCount).toBe(4);
    expect(cart.total).toEqual({ amount: 1000, currency: 'USD' });
    expect(cart.updatedAt).toBe('2024-05-01T10:00:00.000Z');
  });

  it('prices an empty cart at zero dollars, with no updatedAt when never touched', () => {
    expect(priceCart(userId, [], null)).toEqual({ userId, items: [], itemCount: 0, total: { amount: 0, currency: 'USD' }, updatedAt: null });
  });

  it('leaves out a line priced in another currency rather than adding unlike amounts', () => {
    const cart = priceCart(userId, [line('a', 1, 500), line('b', 2, 700, 'EUR')], null);
    expect(cart.items.map((l) => l.productId)).toEqual(['a']);
    expect(cart.total.amount).toBe(500);
  });
});
