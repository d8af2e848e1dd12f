import type { Queryable } from '@emporium/kit';
import type { Money } from '@emporium/contracts/common';

/** A product as orders prices it. */
export interface PricedProduct {
  productId: string;
  name: string;
  price: Money;
}

/** Records a product's current name and price (created or updated: the event carries the whole state). */
export async function upsertProduct(q: Queryable, p: PricedProduct): Promise<void> {
  await q.query(
    `INSERT INTO products (product_id, name, price_amount, currency) VALUES ($1, $2, $3, $4)
     ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, price_amount = EXCLUDED.price_amount, currency = EXCLUDED.currency, updated_at = now()`,
    [p.productId, p.name, p.price.amount, p.price.currency],
  );
}

/** Marks a product as no longer sold. */
export async function markProductDeleted(q: Queryable, productId: string): Promise<void> {
  await q.query('UPDATE products SET deleted = true, updated_at = now() WHERE product_id = $1', [productId]);
}

/** The orderable products among `ids`, by id. */
export async function findOrderable(q: Queryable, ids: readonly string[]): Promise<Map<string, PricedProduct>> {
  const { rows } = await q.query<{ product_id: string; name: string; price_amount: string | number; currency: string }>(
    'SELECT product_id, name, price_amount, currency FROM products WHERE product_id = ANY($1::uuid[]) AND NOT deleted',
    [ids],
  );
  return new Map(rows.map((r) => [r.product_id, { productId: r.product_id, name: r.name, price: { amount: Number(r.price_amount), currency: r.currency } }]));
}
