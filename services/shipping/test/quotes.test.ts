import { describe, expect, it } from 'vitest';
import { estimatedDelivery, isServed, itemCount, quote, quotes, zoneOf } from '../src/domain/quotes.ts';

const items = (...quantities: number[]) => quantities.map((quantity, i) => ({ productId: `00000000-0000-4000-8000-00000000000${i}`, quantity }));

describe('quotes', () => {
  it('sorts countries into zones: the US, its neighbours, Europe and the rest', () => {
    expect(zoneOf('US')).toBe('domestic');
    expect(['CA', 'MX'].map(zoneOf)).toEqual(['near', 'near']);
    expect(['DE', 'FR', 'GB', 'NO'].map(zoneOf)).toEqual(['europe', 'europe', 'europe', 'europe']);
    expect(['JP', 'BR', 'AU'].map(zoneOf)).toEqual(['world', 'world', 'world']);
  });

  it('offers standard and express, express faster and dearer', () => {
    const [standard, express] = quotes('US', items(1));
    expect(standard).toEqual({ service: 'standard', carrier: 'Emporium Post', price: { amount: 499, currency: 'USD' }, estimatedDays: 5 });
    expect(express).toMatchObject({ service: 'express', carrier: 'Emporium Express' });
    expect(express!.price.amount).toBeGreaterThan(standard!.price.amount);
    expect(express!.estimatedDays).toBeLessThan(standard!.estimatedDays);
  });

  it('charges by the number of items, counting quantities', () => {
    expect(itemCount(items(2, 3))).toBe(5);
    expect(quote('standard', 'US', items(2, 3)).price.amount).toBe(499 + 4 * 100);
    expect(quote('standard', 'US', items(5)).price).toEqual(quote('standard', 'US', items(2, 3)).price);
  });

  it('charges more and takes longer the farther the parcel goes', () => {
    const byZone = ['US', 'CA', 'DE', 'JP'].map((country) => quote('standard', country, items(1)));
    const amounts = byZone.map((q) => q.price.amount);
    const days = byZone.map((q) => q.estimatedDays);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    expect(new Set(amounts).size).toBe(4);
    expect(days).toEqual([...days].sort((a, b) => a - b));
  });

  it('prices in whole cents even for the largest order a quote accepts', () => {
    const largest = Array.from({ length: 100 }, () => ({ productId: '00000000-0000-4000-8000-000000000000', quantity: 1_000 }));
    for (const q of quotes('JP', largest)) {
      expect(Number.isSafeInteger(q.price.amount)).toBe(true);
      expect(q.price.amount).toBeLessThanOrEqual(100_000_000_00);
    }
  });

  it('serves every country but the unserved ones', () => {
    expect(isServed('US', ['KP', 'IR'])).toBe(true);
    expect(isServed('KP', ['KP', 'IR'])).toBe(false);
    expect(isServed('KP', [])).toBe(true);
  });

  it('dates the delivery in UTC calendar days', () => {
    expect(estimatedDelivery(new Date('2030-12-30T23:30:00Z'), 5)).toBe('2031-01-04');
    expect(estimatedDelivery(new Date('2032-02-27T00:00:00Z'), 2)).toBe('2032-02-29');
  });
});
