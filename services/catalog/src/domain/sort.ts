import type { ProductSort } from '@emporium/contracts/catalog';

/** How a product list is ordered: a sort the caller chose, or relevance to the search. */
export type ProductOrder = ProductSort | 'relevance';

/** The order of a list: the caller's choice, else relevance when searching, else newest first. */
export function productOrder(sort: ProductSort | undefined, searching: boolean): ProductOrder {
  return sort ?? (searching ? 'relevance' : '-createdAt');
}

/**
 * The ORDER BY clause of each order, over products `p` and the search query `query`. Every
 * clause ends on a unique column so that pages never overlap or skip a product.
 */
export const ORDER_BY: Readonly<Record<ProductOrder, string>> = {
  relevance: 'ts_rank(p.search_vector, query) DESC, p.created_at DESC, p.id DESC',
  price: 'p.price_amount ASC, lower(p.name) ASC, p.id ASC',
  '-price': 'p.price_amount DESC, lower(p.name) ASC, p.id ASC',
  name: 'lower(p.name) ASC, p.name ASC, p.id ASC',
  '-createdAt': 'p.created_at DESC, p.id DESC',
};
