import { problemResponses } from '@emporium/kit';

/** Problem+json response schemas for the given statuses, so /openapi.json lists a route's errors. */
export const problems = problemResponses({
  400: 'The request is not valid',
  401: 'Authentication is required',
  403: 'The caller lacks the admin role',
  404: 'No such shipment (or not the caller\'s)',
  409: 'The shipment is not in a status that allows this',
  422: 'No carrier serves the destination',
});
