import { Type, type Static } from '@sinclair/typebox';
import { Id, Money } from './common.ts';

/** One product in a cart, at its current price. */
export const CartLine = Type.Object({
  productId: Id,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  lineTotal: Money,
});
export type CartLine = Static<typeof CartLine>;

/** The caller's cart, priced now. */
export const Cart = Type.Object({
  userId: Id,
  items: Type.Array(CartLine),
  itemCount: Type.Integer({ minimum: 0 }),
  total: Money,
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Cart = Static<typeof Cart>;

const Quantity = Type.Integer({ minimum: 1, maximum: 99 });

/** `POST /cart/items` body: adds to the quantity already in the cart. */
export const AddCartItemBody = Type.Object({ productId: Id, quantity: Quantity }, { additionalProperties: false });
export type AddCartItemBody = Static<typeof AddCartItemBody>;

/** `PATCH /cart/items/:productId` body: sets the quantity. */
export const UpdateCartItemBody = Type.Object({ quantity: Quantity }, { additionalProperties: false });
export type UpdateCartItemBody = Static<typeof UpdateCartItemBody>;

export const CartItemParams = Type.Object({ productId: Id });
