import { randomUUID } from 'node:crypto';
import { buildService, InProcessTransport } from '@emporium/kit';
import type { DatabaseKind } from '@emporium/testing';
import { dataschemaOf, type CloudEvent, type EventData, type EventDefinition } from '@emporium/contracts/events';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { orderConfirmed } from '@emporium/contracts/orders';
import type { RecommendationList } from '@emporium/contracts/recommendations';
import service from '../src/service.ts';

type Built = Awaited<ReturnType<typeof buildService>>;

/** A CloudEvent of `definition` as its producer publishes it; `time` defaults to now. */
export function eventOf<E extends EventDefinition>(definition: E, data: EventData<E>, opts: { subject: string; time?: Date }): CloudEvent<EventData<E>> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/emporium/${definition.producer}`,
    type: definition.type,
    subject: opts.subject,
    time: (opts.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(definition),
    data,
  };
}

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
  const { db, close: closeDb } = await kind.open('recommendations');
  const transport = new InProcessTransport();
  const built = await buildService(service, { source: { LOG_LEVEL: 'silent' }, db, transport });
  await built.start();
  const { app } = built;
  const deliver = (event: CloudEvent<unknown>) => {
    const producer = event.source.split('/').pop()!;
    return transport.publish([{ id: event.id, type: event.type, subject: event.subject, producer, body: JSON.stringify(event) }]);
  };
  const catalogFields = (id: string, name: string) => ({ productId: id, sku: `SKU-${id.slice(0, 8)}`, name, price: usd(500), category: 'tea' });

  return {
    built,
    app,
    deliver,
    async product(name, { id = randomUUID(), time } = {}) {
      await deliver(eventOf(productCreated, { ...catalogFields(id, name), initialStock: 5 }, { subject: id, time }));
      return id;
    },
    rename: (id, name, time) => deliver(eventOf(productUpdated, catalogFields(id, name), { subject: id, time })),
    deleteProduct: (id) => deliver(eventOf(productDeleted, { productId: id }, { subject: id })),
    order(productIds, names = {}) {
      const orderId = randomUUID();
      const userId = randomUUID();
      const items = productIds.map((productId) => ({ productId, name: names[productId] ?? 'Ordered item', quantity: 1, unitPrice: usd(500) }));
      return eventOf(orderConfirmed, { orderId, userId, email: 'buyer@example.com', items, total: usd(500 * items.length), fromCart: false }, { subject: orderId });
    },
    async recommend(productId, limit) {
      const res = await app.inject({ method: 'GET', url: '/recommendations', query: { productId, ...(limit === undefined ? {} : { limit: String(limit) }) } });
      if (res.statusCode !== 200) throw new Error(`recommendations for ${productId}: expected 200, got ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async close() {
      await built.close();
      await transport.close();
      await closeDb();
    },
  };
}
