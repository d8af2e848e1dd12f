import type { Queryable } from '@emporium/kit';
import type { Recommendation } from '@emporium/contracts/recommendations';
import type { CoPurchase } from '../domain/co-purchases.ts';

/** Counts one more order for each pair, in one statement. */
export async function countCoPurchases(q: Queryable, pairs: readonly CoPurchase[]): Promise<void> {
  if (pairs.length === 0) return;
  await q.query(
    `INSERT INTO co_purchases (product_id, other_id, orders)
     SELECT x.product_id, x.other_id, 1 FROM jsonb_to_recordset($1::jsonb) AS x(product_id uuid, other_id uuid)
     ORDER BY x.product_id, x.other_id
     ON CONFLICT (product_id, other_id) DO UPDATE SET orders = co_purchases.orders + 1`,
    [JSON.stringify(pairs.map((p) => ({ product_id: p.productId, other_id: p.otherId })))],
  );
}

/** The products most often bought with `productId`, ties by name, leaving out deleted and unnamed ones. */
export async function boughtWith(q: Queryable, productId: string, limit: number): Promise<Recommendation[]> {
  const { rows } = await q.query<Recommendation>(
    `SELECT c.other_id AS "productId", p.name, c.orders
     FROM co_purchases c JOIN products p ON p.id = c.other_id
     WHERE c.product_id = $1 AND NOT p.deleted AND p.name IS NOT NULL
     ORDER BY c.orders DESC, p.name, c.other_id
     LIMIT $2`,
    [productId, limit],
  );
  return rows;
}
