import type { Queryable } from '@emporium/kit';

/**
 * Names a product from product.created or product.updated, unless a newer catalog event already
 * did: the two travel on separate subscriptions, so either may arrive first. A name taken from
 * an order is always replaced. The deleted flag is never cleared.
 */
export async function applyCatalogName(q: Queryable, id: string, name: string, at: string): Promise<void> {
  await q.query(
    `INSERT INTO products (id, name, catalog_at) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, catalog_at = EXCLUDED.catalog_at
     WHERE products.catalog_at IS NULL OR products.catalog_at <= EXCLUDED.catalog_at`,
    [id, name, at],
  );
}

/** Marks a product deleted, leaving a tombstone when nothing else about it has arrived yet. */
export async function markProductDeleted(q: Queryable, id: string): Promise<void> {
  await q.query('INSERT INTO products (id, deleted) VALUES ($1, true) ON CONFLICT (id) DO UPDATE SET deleted = true', [id]);
}

/** Names products from an order's lines, only where no name is known yet: catalog's names win. */
export async function nameFromOrder(q: Queryable, products: ReadonlyArray<{ productId: string; name: string }>): Promise<void> {
  await q.query(
    `INSERT INTO products (id, name)
     SELECT x.id, x.name FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, name text) ORDER BY x.id
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE products.name IS NULL`,
    [JSON.stringify(products.map((p) => ({ id: p.productId, name: p.name })))],
  );
}
