import { Type, type Static } from '@sinclair/typebox';
import { Id } from './common.ts';

/** A product often bought together with the one asked about. */
export const Recommendation = Type.Object({
  productId: Id,
  name: Type.String(),
  /** How many confirmed orders held both products. */
  orders: Type.Integer({ minimum: 1 }),
});
export type Recommendation = Static<typeof Recommendation>;

/** `GET /recommendations` query. */
export const RecommendationQuery = Type.Object({
  productId: Id,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })),
});
export type RecommendationQuery = Static<typeof RecommendationQuery>;

/** `GET /recommendations` answer: most often bought together first. */
export const RecommendationList = Type.Object({ productId: Id, data: Type.Array(Recommendation) });
export type RecommendationList = Static<typeof RecommendationList>;
