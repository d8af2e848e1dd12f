import { sqlState, UNIQUE_VIOLATION, type Queryable } from '@emporium/kit';
import type { Category } from '@emporium/contracts/catalog';
import { catalogErrors } from '../errors.ts';

const COLUMNS = 'c.id, c.slug, c.name, c.description';

/** Every category with the number of products in it, by name. */
export async function listCategories(q: Queryable): Promise<Category[]> {
  const { rows } = await q.query<Omit<Category, 'productCount'> & { product_count: number }>(
    `SELECT ${COLUMNS}, (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS product_count
     FROM categories c ORDER BY lower(c.name), c.slug`,
  );
  return rows.map(({ product_count, ...c }) => ({ ...c, productCount: Number(product_count) }));
}

/** The id of the category with `slug`, or undefined. */
export async function findCategoryId(q: Queryable, slug: string): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM categories WHERE slug = $1', [slug]);
  return rows[0]?.id;
}

/** Creates a category; CATALOG_CATEGORY_SLUG_TAKEN when the slug is in use. */
export async function insertCategory(q: Queryable, c: { slug: string; name: string; description: string }): Promise<Category> {
  try {
    const { rows } = await q.query<Omit<Category, 'productCount'>>(
      `INSERT INTO categories AS c (slug, name, description) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [c.slug, c.name, c.description],
    );
    return { ...rows[0]!, productCount: 0 };
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) throw catalogErrors.CATALOG_CATEGORY_SLUG_TAKEN(`A category with the slug "${c.slug}" already exists.`);
    throw err;
  }
}
