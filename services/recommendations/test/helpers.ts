import { randomUUID } from 'node:crypto';
import type { BuiltService } from '@emporium/kit';
import { cloudEvent, deliver as deliverTo, startTestService, type DatabaseKind } from '@emporium/testing';
import type { CloudEvent } from '@emporium/contracts/events';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { orderConfirmed } from '@emporium/contracts/orders';
import type { RecommendationList } from '@emporium/contracts/recommendations';
import service from '../src/service.ts';

type Built = BuiltService;

const usd = (amount: number) => ({ amount, currency: 'USD' });

/** A recommendations service on a fresh database, fed events as a broker would feed it. */
export interface Recommendations {
  built: Built;
  app: Built['app'];
  /** Delivers `event` as its producer's relay would; resolves once it is handled or dead-lettered. */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** Delivers product.created for a new product named `name` and returns its id. */
  product(name: string, opts?: { id?: string; time?: Date }): Promise<string>;
  /** Delivers product.updated renaming the product. */
  rename(id: string, name: string, time?: Date): Promise<void>;
  /** Delivers product.deleted. */
  deleteProduct(id: string): Promise<void>;
  /** An order.confirmed event holding one line per product id (repeat an id for two lines of it). */
  order(productIds: string[], names?: Record<string, string>): CloudEvent<unknown>;
  /** GET /recommendations; fails the test unless it answers 200. */
  recommend(productId: string, limit?: number): Promise<RecommendationList>;
  close(): Promise<void>;
}

/** Builds and starts the recommendations service on `kind`'s database, with an in-process transport. */
export async function startRecommendations(kind: DatabaseKind): Promise<Recommendations> {
  const { built, app, transport, close } = await startTestService(service, kind);
  const deliver = (event: CloudEvent<unknown>) => deliverTo(transport, event);
  const catalogFields = (id: string, name: string) => ({ productId: id, sku: `SKU-${id.slice(0, 8)}`, name, price: usd(500), category: 'tea' });

  return {
    built,
    app,
    deliver,
    async product(name, { id = randomUUID(), time } = {}) {
      await deliver(cloudEvent(productCreated, { ...catalogFields(id, name), initialStock: 5 }, id, time));
      return id;
    },
    rename: (id, name, time) => deliver(cloudEvent(productUpdated, catalogFields(id, name), id, time)),
    deleteProduct: (id) => deliver(cloudEvent(productDeleted, { productId: id }, id)),
    order(productIds, names = {}) {
      const orderId = randomUUID();
      const userId = randomUUID();
      const items = productIds.map((productId) => ({ productId, name: names[productId] ?? 'Ordered item', quantity: 1, unitPrice: usd(500) }));
      return cloudEvent(orderConfirmed, { orderId, userId, email: 'buyer@example.com', items, total: usd(500 * items.length), fromCart: false }, orderId);
    },
    async recommend(productId, limit) {
      const res = await app.inject({ method: 'GET', url: '/recommendations', query: { productId, ...(limit === undefined ? {} : { limit: String(limit) }) } });
      if (res.statusCode !== 200) throw new Error(`recommendations for ${productId}: expected 200, got ${res.statusCode} ${res.body}`);
      return res.json();
    },
    close,
  };
}
