import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { InProcessTransport, type BuiltService, type TransportSubscription } from '@emporium/kit';
import { cloudEvent, deliver as deliverTo, startTestService, type DatabaseKind } from '@emporium/testing';
import type { CloudEvent, EventDefinition } from '@emporium/contracts/events';
import { productCreated, productDeleted } from '@emporium/contracts/catalog';
import type { ItemQuantity } from '@emporium/contracts/common';
import { commitStock, releaseStock, reserveStock } from '@emporium/contracts/inventory';
import service from '../src/service.ts';
import { inventoryPublisher } from '../src/events/publish.ts';
import { expireReservations } from '../src/tasks/expire-reservations.ts';

type Built = BuiltService;
type Headers = { authorization: string };

/** An event as inventory wrote it to its outbox. */
export interface Published {
  type: string;
  subject: string;
  data: Record<string, unknown>;
}

/** A stock row with every counter. */
export interface StockCounters {
  product_id: string;
  available: number;
  reserved: number;
  sold: number;
  received: number;
}

/** An inventory service on a fresh database, fed events as a broker would feed it. */
export interface Inventory {
  built: Built;
  app: Built['app'];
  admin: Headers;
  customer: Headers;
  /** Delivers an event as its producer's relay would; resolves once handled (or dead-lettered). */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** A product created in the catalog with `initialStock` units; returns its id. */
  createProduct(initialStock: number, productId?: string): Promise<string>;
  deleteProduct(productId: string): Promise<void>;
  /** inventory.reserve for `orderId`; returns the command so a test can deliver it again. */
  reserve(orderId: string, items: ItemQuantity[]): Promise<CloudEvent<unknown>>;
  release(orderId: string, reason?: string): Promise<CloudEvent<unknown>>;
  commit(orderId: string): Promise<CloudEvent<unknown>>;
  /** The events written to the outbox about `subject` (an order or a product id), oldest first. */
  published(subject: string): Promise<Published[]>;
  /** Every counter of a product's stock row. */
  counters(productId: string): Promise<StockCounters>;
  /** The reservation row of an order, or undefined. */
  reservation(orderId: string): Promise<{ id: string; status: string; reason: string | null; expired: boolean } | undefined>;
  /** Moves an order's expiry into the past, as if its TTL had run out. */
  backdate(orderId: string): Promise<void>;
  /** Runs the expiry sweep once, as the background task does; returns how many it released. */
  sweep(batch?: number): Promise<number>;
  /** Fails the test unless I3 holds for every product the reservations account for every held and sold unit, and no handler failed. */
  checkInvariants(): Promise<void>;
  close(): Promise<void>;
}

/** The in-process transport, counting the deliveries a handler failed (a deadlock would show here). */
class CountingTransport extends InProcessTransport {
  retries = 0;

  override async subscribe(subscription: TransportSubscription): Promise<void> {
    await super.subscribe({
      ...subscription,
      handle: async (message, attempt) => {
        const outcome = await subscription.handle(message, attempt);
        if (outcome === 'retry') this.retries++;
        return outcome;
      },
    });
  }
}

/** Builds and starts inventory on `kind`'s database, with an in-process transport. */
export async function startInventory(kind: DatabaseKind, settings: Record<string, string> = {}): Promise<Inventory> {
  const transport = new CountingTransport();
  // The sweep's own timer is pushed far out: the tests run it themselves, when time "has passed".
  const { built, app, tokens, close } = await startTestService(service, kind, { RESERVATION_SWEEP_MS: '3600000', ...settings }, { transport });
  const q = built.ctx.db;

  const deliver = (event: CloudEvent<unknown>) => deliverTo(transport, event);
  const send = async (definition: EventDefinition, data: Record<string, unknown>, subject: string) => {
    const event = cloudEvent(definition, data, subject);
    await deliver(event);
    return event;
  };

  return {
    built,
    app,
    admin: await tokens.auth({ roles: ['customer', 'admin'] }),
    customer: await tokens.auth({ roles: ['customer'] }),
    deliver,
    async createProduct(initialStock, productId = randomUUID()) {
      const data = { productId, sku: `SKU-${productId.slice(0, 8)}`, name: 'A product', price: { amount: 1000, currency: 'USD' }, category: 'misc', initialStock };
      await send(productCreated, data, productId);
      return productId;
    },
    async deleteProduct(productId) {
      await send(productDeleted, { productId }, productId);
    },
    reserve: (orderId, items) => send(reserveStock, { orderId, items }, orderId),
    release: (orderId, reason = 'payment declined') => send(releaseStock, { orderId, reason }, orderId),
    commit: (orderId) => send(commitStock, { orderId }, orderId),
    async published(subject) {
      const { rows } = await q.query<Published>("SELECT type, subject, envelope->'data' AS data FROM outbox WHERE subject = $1 ORDER BY seq", [subject]);
      return rows;
    },
    async counters(productId) {
      const { rows } = await q.query<StockCounters>('SELECT product_id, available, reserved, sold, received FROM stock WHERE product_id = $1', [productId]);
      if (!rows[0]) throw new Error(`no stock row for ${productId}`);
      return rows[0];
    },
    async reservation(orderId) {
      const { rows } = await q.query<{ id: string; status: string; reason: string | null; expired: boolean }>('SELECT id, status, reason, expired FROM reservations WHERE order_id = $1', [orderId]);
      return rows[0];
    },
    async backdate(orderId) {
      await q.query("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1", [orderId]);
    },
    sweep: (batch) => expireReservations(q, inventoryPublisher(built.ctx.messaging), batch),
    async checkInvariants() {
      const { rows } = await q.query<StockCounters & { held: number; committed: number }>(
        `SELECT s.product_id, s.available, s.reserved, s.sold, s.received,
                coalesce(sum(l.quantity) FILTER (WHERE r.status = 'held'), 0)::bigint AS held,
                coalesce(sum(l.quantity) FILTER (WHERE r.status = 'committed'), 0)::bigint AS committed
         FROM stock s
         LEFT JOIN reservation_lines l ON l.product_id = s.product_id
         LEFT JOIN reservations r ON r.order_id = l.order_id
         GROUP BY s.product_id`,
      );
      for (const row of rows) {
        const what = `product ${row.product_id}: ${JSON.stringify(row)}`;
        expect(row.received, what).toBe(row.available + row.reserved + row.sold);
        expect(Math.min(row.available, row.reserved, row.sold, row.received), what).toBeGreaterThanOrEqual(0);
        expect(row.reserved, what).toBe(row.held);
        expect(row.sold, what).toBe(row.committed);
      }
      // A handler that failed (a CHECK refusing a negative counter, a deadlock) would show here.
      expect(transport.retries, 'failed deliveries').toBe(0);
      expect((await built.ctx.messaging.deadLetters()).filter((l) => l.reason === 'failed')).toEqual([]);
    },
    close,
  };
}
