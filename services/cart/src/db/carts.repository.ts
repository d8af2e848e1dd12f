import type { Queryable } from '@emporium/kit';
import type { Cart } from '@emporium/contracts/cart';
import { MAX_LINE_QUANTITY, priceCart } from '../domain/cart.ts';

/**
 * Creates the user's cart or marks it changed now, and holds its row lock until the transaction
 * ends. Every change to a cart calls this first, so changes to one cart queue up behind one
 * lock, always taken before any line's.
 */
export async function touchCart(q: Queryable, userId: string): Promise<void> {
  await q.query('INSERT INTO carts (user_id) VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET updated_at = now()', [userId]);
}

/**
 * Adds `quantity` to the user's line of a product, creating it if needed, in one statement so
 * that concurrent adds both count. Returns the new quantity, or undefined when the line would
 * exceed the limit (and then nothing changes).
 */
export async function addToLine(q: Queryable, userId: string, productId: string, quantity: number): Promise<number | undefined> {
  const { rows } = await q.query<{ quantity: number }>(
    `INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
     WHERE cart_items.quantity + EXCLUDED.quantity <= $4
     RETURNING quantity`,
    [userId, productId, quantity, MAX_LINE_QUANTITY],
  );
  return rows[0]?.quantity;
}

/** The quantity of the user's line of a product, if they have one. */
export async function lineQuantity(q: Queryable, userId: string, productId: string): Promise<number | undefined> {
  const { rows } = await q.query<{ quantity: number }>('SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2', [userId, productId]);
  return rows[0]?.quantity;
}

/**
 * Sets the quantity of an existing line; false when the user has no line of that product, or
 * only one of a deleted product, which their cart no longer shows.
 */
export async function setLineQuantity(q: Queryable, userId: string, productId: string, quantity: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE cart_items SET quantity = $3 WHERE user_id = $1 AND product_id = $2
     AND NOT EXISTS (SELECT 1 FROM products p WHERE p.id = $2 AND p.deleted)`,
    [userId, productId, quantity],
  );
  return rowCount > 0;
}

/** Removes the user's lines of the given products; returns how many there were. */
export async function removeLines(q: Queryable, userId: string, productIds: readonly string[]): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM cart_items WHERE user_id = $1
     AND product_id IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))`,
    [userId, JSON.stringify(productIds)],
  );
  return rowCount;
}

/** Locks the user's cart row, if they have one, and says whether they do. */
export async function lockCart(q: Queryable, userId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM carts WHERE user_id = $1 FOR UPDATE', [userId]);
  return rows.length > 0;
}

/** Marks an existing cart changed now. */
export async function markCartChanged(q: Queryable, userId: string): Promise<void> {
  await q.query('UPDATE carts SET updated_at = now() WHERE user_id = $1', [userId]);
}

interface CartRow {
  updated_at: Date | string | null;
  product_id: string | null;
  name: string | null;
  quantity: number | null;
  price_amount: number | null;
  currency: string | null;
}

/**
 * The user's cart priced now, read in one statement so the lines and `updatedAt` agree. Lines
 * of deleted products are left out. A user who never changed their cart gets an empty one.
 */
export async function readCart(q: Queryable, userId: string): Promise<Cart> {
  const { rows } = await q.query<CartRow>(
    `SELECT c.updated_at, l.product_id, l.name, l.quantity, l.price_amount, l.currency
     FROM (SELECT $1::uuid AS user_id) AS u
     LEFT JOIN carts c ON c.user_id = u.user_id
     LEFT JOIN (
       SELECT i.user_id, i.product_id, i.quantity, i.added_at, p.name, p.price_amount, p.currency
       FROM cart_items i JOIN products p ON p.id = i.product_id AND NOT p.deleted
     ) AS l ON l.user_id = u.user_id
     ORDER BY l.added_at, l.product_id`,
    [userId],
  );
  const updatedAt = rows[0]?.updated_at ?? null;
  const lines = rows
    .filter((r) => r.product_id !== null)
    .map((r) => ({ productId: r.product_id!, name: r.name!, quantity: r.quantity!, unitPrice: { amount: Number(r.price_amount), currency: r.currency! } }));
  return priceCart(userId, lines, updatedAt === null ? null : new Date(updatedAt));
}
