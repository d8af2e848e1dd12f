import { sqlState, UNIQUE_VIOLATION, type Queryable } from '@emporium/kit';
import type { Product } from '@emporium/contracts/catalog';
import { ORDER_BY, type ProductOrder } from '../domain/sort.ts';
import { catalogErrors } from '../errors.ts';

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_amount: number;
  currency: string;
  stock_available: number;
  created_at: Date;
  updated_at: Date;
  category_id: string;
  category_slug: string;
  category_name: string;
}

const COLUMNS = `p.id, p.sku, p.name, p.description, p.price_amount, p.currency, p.stock_available, p.created_at, p.updated_at,
  c.id AS category_id, c.slug AS category_slug, c.name AS category_name`;

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: { amount: row.price_amount, currency: row.currency },
    category: { id: row.category_id, slug: row.category_slug, name: row.category_name },
    stock: { available: row.stock_available },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Translates the SKU's unique violation; lets every other error through. */
function skuTaken(err: unknown, sku: string | undefined): never {
  if (sqlState(err) === UNIQUE_VIOLATION) throw catalogErrors.CATALOG_SKU_TAKEN(`Another product already has the SKU "${sku}".`);
  throw err;
}

/** One product with its category, or undefined. */
export async function findProduct(q: Queryable, id: string): Promise<Product | undefined> {
  const { rows } = await q.query<ProductRow>(`SELECT ${COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1`, [id]);
  return rows[0] && toProduct(rows[0]);
}

/** What a product list is narrowed to, and which slice of it to return. */
export interface ProductFilter {
  /** tsquery text built by `prefixTsQuery`, never raw input. */
  tsquery?: string | undefined;
  categorySlug?: string | undefined;
  order: ProductOrder;
  limit: number;
  offset: number;
}

/** A slice of the products that match, and how many match in all. */
export async function listProducts(q: Queryable, filter: ProductFilter): Promise<{ items: Product[]; total: number }> {
  const params: unknown[] = [];
  const where: string[] = [];
  let from = 'products p JOIN categories c ON c.id = p.category_id';
  if (filter.tsquery !== undefined) {
    params.push(filter.tsquery);
    from += ` CROSS JOIN to_tsquery('simple', $${params.length}) AS query`;
    where.push('p.search_vector @@ query');
  }
  if (filter.categorySlug !== undefined) {
    params.push(filter.categorySlug);
    where.push(`c.slug = $${params.length}`);
  }
  if (filter.order === 'relevance' && filter.tsquery === undefined) throw new Error('relevance order needs a search');
  const conditions = where.length ? `WHERE ${where.join(' AND ')}` : '';
  params.push(filter.limit, filter.offset);
  const { rows } = await q.query<ProductRow & { total: number }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM ${from} ${conditions}
     ORDER BY ${ORDER_BY[filter.order]} LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  if (rows[0]) return { items: rows.map(toProduct), total: Number(rows[0].total) };
  if (filter.offset === 0) return { items: [], total: 0 };
  // Past the last page: the window count saw no rows, so count on its own.
  const count = await q.query<{ total: number }>(`SELECT count(*) AS total FROM ${from} ${conditions}`, params.slice(0, -2));
  return { items: [], total: Number(count.rows[0]?.total ?? 0) };
}

/** A product to create, in the category named by its slug. */
export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceAmount: number;
  currency: string;
  categorySlug: string;
  stockAvailable: number;
}

/**
 * Creates a product in its category (by slug), in one statement. Undefined when no category
 * has that slug; CATALOG_SKU_TAKEN when the SKU is in use (the unique index decides, so two
 * concurrent creates cannot both win).
 */
export async function insertProduct(q: Queryable, p: NewProduct): Promise<Product | undefined> {
  try {
    const { rows } = await q.query<ProductRow>(
      `WITH p AS (
         INSERT INTO products (sku, name, description, price_amount, currency, stock_available, category_id)
         SELECT $1, $2, $3, $4, $5, $6, c.id FROM categories c WHERE c.slug = $7
         RETURNING *
       )
       SELECT ${COLUMNS} FROM p JOIN categories c ON c.id = p.category_id`,
      [p.sku, p.name, p.description, p.priceAmount, p.currency, p.stockAvailable, p.categorySlug],
    );
    return rows[0] && toProduct(rows[0]);
  } catch (err) {
    return skuTaken(err, p.sku);
  }
}

/** The fields of a product that an update may change. */
export interface ProductChanges {
  sku?: string;
  name?: string;
  description?: string;
  priceAmount?: number;
  currency?: string;
  categoryId?: string;
}

const CHANGE_COLUMNS: Record<keyof ProductChanges, string> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  priceAmount: 'price_amount',
  currency: 'currency',
  categoryId: 'category_id',
};

/** Applies `changes` to a product and returns it, or undefined when it does not exist. */
export async function updateProduct(q: Queryable, id: string, changes: ProductChanges): Promise<Product | undefined> {
  const params: unknown[] = [id];
  const sets = ['updated_at = now()'];
  for (const [key, column] of Object.entries(CHANGE_COLUMNS) as Array<[keyof ProductChanges, string]>) {
    if (changes[key] === undefined) continue;
    params.push(changes[key]);
    sets.push(`${column} = $${params.length}`);
  }
  try {
    const { rows } = await q.query<ProductRow>(
      `WITH p AS (UPDATE products SET ${sets.join(', ')} WHERE id = $1 RETURNING *)
       SELECT ${COLUMNS} FROM p JOIN categories c ON c.id = p.category_id`,
      params,
    );
    return rows[0] && toProduct(rows[0]);
  } catch (err) {
    return skuTaken(err, changes.sku);
  }
}

/** Deletes a product; false when there was none. */
export async function deleteProduct(q: Queryable, id: string): Promise<boolean> {
  const { rows } = await q.query('DELETE FROM products WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

/**
 * Sets the copy of a product's available stock that inventory announced, if it is newer than the
 * copy: its `version` is higher than the last one applied. An event without a version (from
 * before inventory versioned them) is applied only while no versioned one has been. False when
 * nothing changed: a stale event, or a product that is unknown (deleted, or not ours). The
 * product's own `updated_at` stays: its fields did not change.
 */
export async function setStockAvailable(q: Queryable, id: string, available: number, version?: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE products SET stock_available = $2, stock_version = coalesce($3::bigint, stock_version)
     WHERE id = $1 AND CASE WHEN $3::bigint IS NULL THEN stock_version = 0 ELSE stock_version < $3::bigint END`,
    [id, available, version ?? null],
  );
  return rowCount > 0;
}
