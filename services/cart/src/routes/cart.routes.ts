import { bearer, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { AddCartItemBody, Cart, CartItemParams, UpdateCartItemBody } from '@emporium/contracts/cart';
import { addToLine, lineQuantity, readCart, removeLines, setLineQuantity, touchCart } from '../db/carts.repository.ts';
import { isOrderable } from '../db/products.repository.ts';
import { MAX_LINE_QUANTITY } from '../domain/cart.ts';
import { cartErrors } from '../errors.ts';
import { problems } from './schemas.ts';

/** What the cart routes need. */
export interface CartRouteOptions {
  db: Database;
  verifier: TokenVerifier;
}

const tags = ['cart'];

const notInCart = (productId: string) => cartErrors.CART_ITEM_NOT_FOUND(`Product ${productId} is not in your cart.`);

/**
 * `/cart` and `/cart/items`: the caller's own cart. The user is always the one the verified
 * token names, never one taken from the request (I7). Each change and the cart it answers with
 * are one transaction, so the answer shows exactly the state the change left.
 */
export async function cartRoutes(app: ServiceApp, { db, verifier }: CartRouteOptions): Promise<void> {
  // onRequest, before validation: an anonymous caller learns nothing, not even that a body is wrong.
  app.addHook('onRequest', requireUser(verifier));

  app.get('/cart', {
    schema: {
      tags,
      summary: 'The caller\'s cart, priced now',
      security: bearer,
      response: { 200: Cart, ...problems(401) },
    },
  }, async (request) => readCart(db, request.caller!.id));

  app.post('/cart/items', {
    schema: {
      tags,
      summary: 'Add a quantity of a product to the caller\'s cart',
      security: bearer,
      body: AddCartItemBody,
      response: { 200: Cart, ...problems(400, 401, 422) },
    },
  }, async (request) => {
    const userId = request.caller!.id;
    const { productId, quantity } = request.body;
    return db.transaction(async (tx) => {
      if (!(await isOrderable(tx, productId))) throw cartErrors.CART_UNKNOWN_PRODUCT(`There is no product with id ${productId}, or it is no longer sold.`);
      await touchCart(tx, userId);
      if ((await addToLine(tx, userId, productId, quantity)) === undefined) {
        const current = (await lineQuantity(tx, userId, productId)) ?? 0;
        throw cartErrors.CART_QUANTITY_LIMIT(`Your cart already holds ${current} of this product; adding ${quantity} would pass the limit of ${MAX_LINE_QUANTITY}.`);
      }
      return readCart(tx, userId);
    });
  });

  app.patch('/cart/items/:productId', {
    schema: {
      tags,
      summary: 'Set the quantity of a product in the caller\'s cart',
      security: bearer,
      params: CartItemParams,
      body: UpdateCartItemBody,
      response: { 200: Cart, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const userId = request.caller!.id;
    const { productId } = request.params;
    return db.transaction(async (tx) => {
      await touchCart(tx, userId);
      if (!(await setLineQuantity(tx, userId, productId, request.body.quantity))) throw notInCart(productId);
      return readCart(tx, userId);
    });
  });

  app.delete('/cart/items/:productId', {
    schema: {
      tags,
      summary: 'Remove a product from the caller\'s cart',
      security: bearer,
      params: CartItemParams,
      response: { 200: Cart, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const userId = request.caller!.id;
    const { productId } = request.params;
    return db.transaction(async (tx) => {
      await touchCart(tx, userId);
      if ((await removeLines(tx, userId, [productId])) === 0) throw notInCart(productId);
      return readCart(tx, userId);
    });
  });
}
