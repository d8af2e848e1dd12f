import { problemResponses, type Database, type ServiceApp } from '@emporium/kit';
import { RecommendationList, RecommendationQuery } from '@emporium/contracts/recommendations';
import { boughtWith } from '../db/co-purchases.repository.ts';

/** What the recommendations routes need. */
export interface RecommendationRouteOptions {
  db: Database;
}

/** The number of recommendations given when the query does not ask for a number. */
export const DEFAULT_LIMIT = 5;

/** Problem+json response schemas for the given statuses, so /openapi.json lists the route's errors. */
const problems = problemResponses({ 400: 'The product id or the limit is not valid' });

/** `GET /recommendations`: products often bought together with one, for anyone. */
export async function recommendationRoutes(app: ServiceApp, { db }: RecommendationRouteOptions): Promise<void> {
  app.get('/recommendations', {
    schema: {
      tags: ['recommendations'],
      summary: 'Products most often bought together with the given one',
      querystring: RecommendationQuery,
      response: { 200: RecommendationList, ...problems(400) },
    },
  }, async (request) => {
    const productId = request.query.productId.toLowerCase();
    // An unknown product has no co-purchases: an empty list, not a 404, since the catalog owns products.
    return { productId, data: await boughtWith(db, productId, request.query.limit ?? DEFAULT_LIMIT) };
  });
}
