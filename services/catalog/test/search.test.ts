import { describe, expect, it } from 'vitest';
import { MAX_SEARCH_TERMS, prefixTsQuery, searchTerms } from '../src/domain/search.ts';
import { productOrder } from '../src/domain/sort.ts';

describe('prefixTsQuery', () => {
  it('makes every word a prefix, all required', () => {
    expect(prefixTsQuery('Espr machine')).toBe('espr:* & machine:*');
  });

  it('keeps only letters and digits, so tsquery operators never reach the query', () => {
    expect(prefixTsQuery('a:* | !b')).toBe('a:* & b:*');
    expect(prefixTsQuery("'); DROP TABLE products; --")).toBe('drop:* & table:* & products:*');
    expect(prefixTsQuery('pour-over (v60)')).toBe('pour:* & over:* & v60:*');
  });

  it('keeps letters of every script', () => {
    expect(prefixTsQuery('Crème brûlée 咖啡')).toBe('crème:* & brûlée:* & 咖啡:*');
    // A decomposed "é" (e + combining accent) becomes the same word as the composed one.
    expect(prefixTsQuery('cafe\u0301')).toBe('café:*');
  });

  it('has no query when there is no word', () => {
    expect(prefixTsQuery(undefined)).toBeUndefined();
    expect(prefixTsQuery('')).toBeUndefined();
    expect(prefixTsQuery(' !!! -- :* ')).toBeUndefined();
  });

  it('drops repeated words and bounds the number of words', () => {
    expect(prefixTsQuery('tea Tea TEA')).toBe('tea:*');
    const many = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    expect(searchTerms(many)).toHaveLength(MAX_SEARCH_TERMS);
  });
});

describe('productOrder', () => {
  it('orders by relevance when searching and by newest otherwise, unless a sort is given', () => {
    expect(productOrder(undefined, true)).toBe('relevance');
    expect(productOrder(undefined, false)).toBe('-createdAt');
    expect(productOrder('price', true)).toBe('price');
  });
});
