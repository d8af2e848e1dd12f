import { randomUUID } from 'node:crypto';
import type { BuiltService } from '@emporium/kit';
import { cloudEvent, deliver as deliverTo, startTestService, type DatabaseKind } from '@emporium/testing';
import type { CloudEvent } from '@emporium/contracts/events';
import { productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { orderConfirmed } from '@emporium/contracts/orders';
import type { Cart } from '@emporium/contracts/cart';
import service from '../src/service.ts';

type Built = BuiltService;
type Response = Awaited<ReturnType<Built['app']['inject']>>;

/** A cart service on a fresh database, fed events as a broker would feed it. */
export interface CartService {
  built: Built;
  app: Built['app'];
  /** A bearer Authorization header for the user `userId`. */
  auth(userId: string): Promise<{ authorization: string }>;
  /** Delivers `event` as its producer's relay would; resolves once it is handled or dead-lettered. */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** Delivers product.created for a new product (or the one given) and returns its id. */
  product(fields?: { id?: string; name?: string; amount?: number; time?: Date }): Promise<string>;
  /** Delivers product.updated with the product's whole state. */
  updateProduct(id: string, fields: { name?: string; amount?: number; time?: Date }): Promise<void>;
  /** Delivers product.deleted. */
  deleteProduct(id: string): Promise<void>;
  /** An order.confirmed event for `userId` holding `productIds`, one of each. */
  confirmed(userId: string, productIds: string[], fromCart?: boolean): CloudEvent<unknown>;
  /** GET /cart as `userId`; fails the test unless it answers 200. */
  cart(userId: string): Promise<Cart>;
  /** POST /cart/items as `userId`. */
  add(userId: string, productId: string, quantity: number): Promise<Response>;
  /** PATCH /cart/items/:productId as `userId`. */
  set(userId: string, productId: string, quantity: number): Promise<Response>;
  /** DELETE /cart/items/:productId as `userId`. */
  remove(userId: string, productId: string): Promise<Response>;
  close(): Promise<void>;
}

const usd = (amount: number) => ({ amount, currency: 'USD' });

/** Builds and starts the cart service on `kind`'s database, with an in-process transport. */
export async function startCart(kind: DatabaseKind): Promise<CartService> {
  const { built, app, tokens, transport, close } = await startTestService(service, kind);
  const auth = (userId: string) => tokens.auth({ id: userId });
  const names = new Map<string, string>();

  const deliver = (event: CloudEvent<unknown>) => deliverTo(transport, event);

  return {
    built,
    app,
    auth,
    deliver,
    async product({ id = randomUUID(), name = `Product ${id.slice(0, 8)}`, amount = 1000, time } = {}) {
      names.set(id, name);
      await deliver(cloudEvent(productCreated, { productId: id, sku: `SKU-${id.slice(0, 8)}`, name, price: usd(amount), category: 'tea', initialStock: 10 }, id, time));
      return id;
    },
    async updateProduct(id, { name = names.get(id) ?? 'Renamed', amount = 1000, time }) {
      names.set(id, name);
      await deliver(cloudEvent(productUpdated, { productId: id, sku: `SKU-${id.slice(0, 8)}`, name, price: usd(amount), category: 'tea' }, id, time));
    },
    async deleteProduct(id) {
      await deliver(cloudEvent(productDeleted, { productId: id }, id));
    },
    confirmed(userId, productIds, fromCart = true) {
      const orderId = randomUUID();
      const items = productIds.map((productId) => ({ productId, name: names.get(productId) ?? 'Something', quantity: 1, unitPrice: usd(1000) }));
      return cloudEvent(orderConfirmed, { orderId, userId, email: `${userId}@example.com`, items, total: usd(1000 * items.length), fromCart }, orderId);
    },
    async cart(userId) {
      const res = await app.inject({ method: 'GET', url: '/cart', headers: await auth(userId) });
      if (res.statusCode !== 200) throw new Error(`reading the cart of ${userId}: expected 200, got ${res.statusCode} ${res.body}`);
      return res.json();
    },
    add: async (userId, productId, quantity) => app.inject({ method: 'POST', url: '/cart/items', headers: await auth(userId), payload: { productId, quantity } }),
    set: async (userId, productId, quantity) => app.inject({ method: 'PATCH', url: `/cart/items/${productId}`, headers: await auth(userId), payload: { quantity } }),
    remove: async (userId, productId) => app.inject({ method: 'DELETE', url: `/cart/items/${productId}`, headers: await auth(userId) }),
    close,
  };
}
