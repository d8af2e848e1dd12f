import { Problem } from '@emporium/contracts/common';

const WHY: Record<number, string> = {
  400: 'The request is not valid',
  401: 'Authentication is required',
  403: 'The caller lacks the admin role',
  404: 'No such payment',
  409: 'The payment is not captured, so it cannot be refunded',
};

type ProblemResponse = { description: string; content: { 'application/problem+json': { schema: typeof Problem } } };

/** Problem+json response schemas for the given statuses, so /openapi.json lists a route's errors. */
export function problems<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: ProblemResponse } {
  const entry = (status: number): ProblemResponse => ({ description: WHY[status] ?? 'Error', content: { 'application/problem+json': { schema: Problem } } });
  return Object.fromEntries(statuses.map((status) => [status, entry(status)])) as { [K in S[number]]: ProblemResponse };
}

/** The OpenAPI security requirement of routes that need a bearer token. */
export const bearer = [{ bearer: [] }];
