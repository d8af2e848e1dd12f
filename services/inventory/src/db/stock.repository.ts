import type { Queryable } from '@emporium/kit';
import type { Stock } from '@emporium/contracts/inventory';
import type { StockLevel } from '../domain/reservation.ts';

/** A product's stock row, with the counters the API does not show. */
export interface StockRow extends Stock, StockLevel {
  sold: number;
  received: number;
  /** Bumped by every change of the row, in its statement: stock.changed carries it, so consumers can order the changes. */
  version: number;
}

interface Row {
  product_id: string;
  available: number;
  reserved: number;
  sold: number;
  received: number;
  version: number | string;
  discontinued: boolean;
}

const COLUMNS = 'product_id, available, reserved, sold, received, version, discontinued_at IS NOT NULL AS discontinued';

function toStock(row: Row): StockRow {
  return {
    productId: row.product_id,
    available: Number(row.available),
    reserved: Number(row.reserved),
    sold: Number(row.sold),
    received: Number(row.received),
    version: Number(row.version),
    discontinued: row.discontinued,
  };
}

/** One product's stock, or undefined when inventory has never heard of it. */
export async function findStock(q: Queryable, productId: string): Promise<StockRow | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM stock WHERE product_id = $1`, [productId]);
  return rows[0] && toStock(rows[0]);
}

/** Opens a product's stock with its initial units; undefined when it already had a row (a repeat, or deleted first). */
export async function openStock(q: Queryable, productId: string, initial: number): Promise<StockRow | undefined> {
  const { rows } = await q.query<Row>(
    `INSERT INTO stock (product_id, available, received) VALUES ($1, $2, $2)
     ON CONFLICT (product_id) DO NOTHING RETURNING ${COLUMNS}`,
    [productId, initial],
  );
  return rows[0] && toStock(rows[0]);
}

/**
 * Marks a product discontinued. A deletion that overtakes the creation leaves an empty,
 * discontinued row, so the late product.created opens nothing.
 */
export async function discontinueStock(q: Queryable, productId: string): Promise<void> {
  await q.query(
    `INSERT INTO stock (product_id, available, received, discontinued_at) VALUES ($1, 0, 0, now())
     ON CONFLICT (product_id) DO UPDATE SET discontinued_at = coalesce(stock.discontinued_at, now()), version = stock.version + 1, updated_at = now()`,
    [productId],
  );
}

/**
 * Locks the stock rows of `productIds` and returns them by id. Every writer that touches
 * several rows locks them here first, in product id order (the sort runs below the row
 * locking), so two transactions never wait on each other in a cycle.
 */
export async function lockStock(q: Queryable, productIds: readonly string[]): Promise<Map<string, StockRow>> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM stock WHERE product_id = ANY($1::uuid[]) ORDER BY product_id FOR UPDATE`, [productIds]);
  return new Map(rows.map((row) => [row.product_id, toStock(row)]));
}

/**
 * Sets a product's available stock under a row lock; `received` moves by the same delta, so
 * the change counts as a restock (or a write-off). Undefined for an unknown or discontinued product.
 */
export async function setAvailable(q: Queryable, productId: string, available: number): Promise<{ before: StockRow; after: StockRow } | undefined> {
  const before = (await lockStock(q, [productId])).get(productId.toLowerCase());
  if (!before || before.discontinued) return undefined;
  const { rows } = await q.query<Row>(
    `UPDATE stock SET received = received + ($2::bigint - available), available = $2, version = version + 1, updated_at = now()
     WHERE product_id = $1 RETURNING ${COLUMNS}`,
    [productId, available],
  );
  return { before, after: toStock(rows[0]!) };
}

/** A movement of units between the counters; none creates or destroys a unit. */
export type StockMove = 'hold' | 'unhold' | 'sell' | 'unsell' | 'sell-available';

const MOVES: Record<StockMove, string> = {
  hold: 'available = s.available - l.quantity, reserved = s.reserved + l.quantity',
  unhold: 'reserved = s.reserved - l.quantity, available = s.available + l.quantity',
  sell: 'reserved = s.reserved - l.quantity, sold = s.sold + l.quantity',
  unsell: 'sold = s.sold - l.quantity, available = s.available + l.quantity',
  'sell-available': 'available = s.available - l.quantity, sold = s.sold + l.quantity',
};

/**
 * Moves `quantities` (product id → units) as `move` says and returns the rows as they now
 * are. The rows are locked in id order first; the CHECK constraints refuse any counter going
 * negative, so a caller that checked wrongly fails instead of overselling.
 */
export async function moveStock(q: Queryable, move: StockMove, quantities: ReadonlyMap<string, number>): Promise<StockRow[]> {
  if (quantities.size === 0) return [];
  const ids = [...quantities.keys()];
  await lockStock(q, ids);
  const { rows } = await q.query<Row>(
    `UPDATE stock s SET ${MOVES[move]}, version = s.version + 1, updated_at = now()
     FROM unnest($1::uuid[], $2::bigint[]) AS l (product_id, quantity)
     WHERE s.product_id = l.product_id
     RETURNING s.product_id, s.available, s.reserved, s.sold, s.received, s.version, s.discontinued_at IS NOT NULL AS discontinued`,
    [ids, [...quantities.values()]],
  );
  if (rows.length !== ids.length) throw new Error(`stock ${move}: ${ids.length - rows.length} of ${ids.length} products have no stock row`);
  return rows.map(toStock).sort((a, b) => (a.productId < b.productId ? -1 : 1));
}
