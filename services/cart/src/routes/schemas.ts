import { problemResponses } from '@emporium/kit';

/** Problem+json response schemas for the given statuses, so /openapi.json lists a route's errors. */
export const problems = problemResponses({
  400: 'The request is not valid',
  401: 'Authentication is required',
  404: 'The product is not in the cart',
  422: 'An unknown or deleted product, or a line above the quantity limit',
});
