import type { Queryable } from '@emporium/kit';

/** A product's state as catalog last described it, with the time of that event. */
export interface ProductState {
  id: string;
  name: string;
  price: { amount: number; currency: string };
  /** The catalog event's time: the version of this state. */
  at: string;
}

/**
 * Upserts a product from product.created or product.updated, unless a newer catalog event was
 * already applied: created and updated travel on separate subscriptions, so either may arrive
 * first. The deleted flag is never cleared.
 */
export async function applyProduct(q: Queryable, p: ProductState): Promise<void> {
  await q.query(
    `INSERT INTO products (id, name, price_amount, currency, catalog_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE
     SET name = EXCLUDED.name, price_amount = EXCLUDED.price_amount, currency = EXCLUDED.currency, catalog_at = EXCLUDED.catalog_at
     WHERE products.catalog_at IS NULL OR products.catalog_at <= EXCLUDED.catalog_at`,
    [p.id, p.name, p.price.amount, p.price.currency, p.at],
  );
}

/** Marks a product deleted, leaving a tombstone when nothing else about it has arrived yet. */
export async function markProductDeleted(q: Queryable, id: string): Promise<void> {
  await q.query('INSERT INTO products (id, deleted) VALUES ($1, true) ON CONFLICT (id) DO UPDATE SET deleted = true', [id]);
}

/** Whether the product is known and not deleted, so it may be put in a cart. */
export async function isOrderable(q: Queryable, id: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM products WHERE id = $1 AND NOT deleted', [id]);
  return rows.length > 0;
}
