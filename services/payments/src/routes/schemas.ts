import { problemResponses } from '@emporium/kit';

/** Problem+json response schemas for the given statuses, so /openapi.json lists a route's errors. */
export const problems = problemResponses({
  400: 'The request is not valid',
  401: 'Authentication is required',
  403: 'The caller lacks the admin role',
  404: 'No such payment',
  409: 'The payment is not captured, so it cannot be refunded',
  422: 'The card number is not valid',
  503: 'The payment provider is unavailable',
});
