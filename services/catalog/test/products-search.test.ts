import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import type { Product } from '@emporium/contracts/catalog';
import { startCatalog, type Catalog } from './helpers.ts';

// Created in this order, so newest first is the reverse.
const PRODUCTS = [
  { sku: 'S-01', category: 'coffee', name: 'Espresso Machine', description: 'A pump machine with a steam wand for milk.', price: 29900 },
  { sku: 'S-02', category: 'coffee', name: 'Burr Grinder', description: 'Grinds beans for espresso and for filter coffee.', price: 14900 },
  { sku: 'S-03', category: 'coffee', name: 'Pour-Over Kettle', description: 'A gooseneck kettle for slow coffee.', price: 4900 },
  { sku: 'S-04', category: 'kitchen', name: 'Chef Knife', description: 'A forged blade that holds its edge.', price: 8900 },
  { sku: 'S-05', category: 'kitchen', name: 'Cast Iron Skillet', description: 'Sears steak and bakes cornbread.', price: 4500 },
  { sku: 'S-06', category: 'books', name: 'The Coffee Atlas', description: 'Where coffee grows, and how place shapes the cup.', price: 4200 },
  { sku: 'S-07', category: 'books', name: 'Crème Brûlée at Home', description: 'Custards from a café kitchen.', price: 2500 },
];

const names = (products: Product[]) => products.map((p) => p.name);

describeOnDatabases('catalog product search', (kind) => {
  let c: Catalog;
  beforeAll(async () => {
    c = await startCatalog(kind);
    for (const slug of ['coffee', 'kitchen', 'books']) await c.createCategory(slug);
    for (const { price, ...p } of PRODUCTS) await c.createProduct({ ...p, price: { amount: price, currency: 'USD' } });
  });
  afterAll(() => c?.close());

  it('finds whole words in names and descriptions, ignoring case', async () => {
    expect(names((await c.list({ search: 'grinder' })).data)).toEqual(['Burr Grinder']);
    expect(names((await c.list({ search: 'CORNBREAD' })).data)).toEqual(['Cast Iron Skillet']);
  });

  it('matches the start of words as the user types, name matches first', async () => {
    const page = await c.list({ search: 'espr' });
    expect(names(page.data)).toEqual(['Espresso Machine', 'Burr Grinder']);
    expect(page.pagination).toEqual({ page: 1, limit: 20, total: 2, pages: 1 });
  });

  it('requires every word of a multi-word search', async () => {
    expect(names((await c.list({ search: 'espresso steam' })).data)).toEqual(['Espresso Machine']);
    expect(names((await c.list({ search: 'slow coff' })).data)).toEqual(['Pour-Over Kettle']);
    expect(names((await c.list({ search: 'pour over' })).data)).toEqual(['Pour-Over Kettle']);
  });

  it('matches words with accents', async () => {
    expect(names((await c.list({ search: 'crème' })).data)).toEqual(['Crème Brûlée at Home']);
    expect(names((await c.list({ search: 'caf' })).data)).toEqual(['Crème Brûlée at Home']);
  });

  it('answers an empty page when nothing matches', async () => {
    const page = await c.list({ search: 'teapot' });
    expect(page).toEqual({ data: [], pagination: { page: 1, limit: 20, total: 0, pages: 0 } });
  });

  it('treats a search with no letters or digits as no search', async () => {
    expect((await c.list({ search: '  !!! -- ' })).pagination.total).toBe(PRODUCTS.length);
  });

  it('filters by category, alone or with a search', async () => {
    expect(names((await c.list({ category: 'kitchen' })).data).sort()).toEqual(['Cast Iron Skillet', 'Chef Knife']);
    expect(names((await c.list({ category: 'books', search: 'coffee' })).data)).toEqual(['The Coffee Atlas']);
    expect((await c.list({ category: 'garden' })).data).toEqual([]);
  });

  it('sorts by price, both ways', async () => {
    const byPrice = [...PRODUCTS].sort((a, b) => a.price - b.price).map((p) => p.name);
    expect(names((await c.list({ sort: 'price' })).data)).toEqual(byPrice);
    expect(names((await c.list({ sort: '-price' })).data)).toEqual([...byPrice].reverse());
  });

  it('sorts by name', async () => {
    expect(names((await c.list({ sort: 'name' })).data)).toEqual([
      'Burr Grinder',
      'Cast Iron Skillet',
      'Chef Knife',
      'Crème Brûlée at Home',
      'Espresso Machine',
      'Pour-Over Kettle',
      'The Coffee Atlas',
    ]);
  });

  it('lists the newest first by default', async () => {
    const newest = PRODUCTS.map((p) => p.name).reverse();
    expect(names((await c.list({ sort: '-createdAt' })).data)).toEqual(newest);
    expect(names((await c.list()).data)).toEqual(newest);
  });

  it('sorts search results when asked', async () => {
    expect(names((await c.list({ search: 'coffee', sort: 'price' })).data)).toEqual(['The Coffee Atlas', 'Pour-Over Kettle', 'Burr Grinder']);
  });

  it('pages through the list without gaps or repeats', async () => {
    const first = await c.list({ sort: 'name', limit: 3 });
    expect(first.pagination).toEqual({ page: 1, limit: 3, total: 7, pages: 3 });
    const second = await c.list({ sort: 'name', limit: 3, page: 2 });
    const last = await c.list({ sort: 'name', limit: 3, page: 3 });
    expect(last.data).toHaveLength(1);
    expect(last.pagination).toEqual({ page: 3, limit: 3, total: 7, pages: 3 });
    const all = await c.list({ sort: 'name' });
    expect([...first.data, ...second.data, ...last.data]).toEqual(all.data);

    const beyond = await c.list({ sort: 'name', limit: 3, page: 4 });
    expect(beyond).toEqual({ data: [], pagination: { page: 4, limit: 3, total: 7, pages: 3 } });
  });
});
