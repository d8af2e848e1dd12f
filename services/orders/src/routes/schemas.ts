import { problemResponses } from '@emporium/kit';

/** Problem+json response schemas for the given statuses, so /openapi.json lists a route's errors. */
export const problems = problemResponses({
  400: 'The request is not valid',
  401: 'Authentication is required',
  403: 'The caller lacks the admin role',
  404: 'No such order or saga (or not yours)',
  409: 'Not possible in its current state',
  422: 'An empty cart, a product that cannot be ordered, a card number that is not valid, an address no carrier ships to, or a reused Idempotency-Key',
  429: 'Too many of your order streams are open',
  503: 'A service the request needs is unavailable',
});
