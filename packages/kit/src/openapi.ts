import { Problem } from '@emporium/contracts/common';

/** A problem+json response in a route's OpenAPI schema. */
export interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: typeof Problem } };
}

/** A service's `problems(...statuses)`: problem+json response schemas, so /openapi.json lists a route's errors. */
export type ProblemResponses = <const S extends readonly number[]>(...statuses: S) => { [K in S[number]]: ProblemResponse };

/** Makes a service's `problems(...statuses)`, describing each status from `descriptions` ('Error' when absent). */
export function problemResponses(descriptions: Readonly<Record<number, string>>): ProblemResponses {
  const entry = (status: number): ProblemResponse => ({ description: descriptions[status] ?? 'Error', content: { 'application/problem+json': { schema: Problem } } });
  return <const S extends readonly number[]>(...statuses: S) =>
    Object.fromEntries(statuses.map((status) => [status, entry(status)])) as { [K in S[number]]: ProblemResponse };
}

/** The OpenAPI security requirement of routes that need a bearer token. */
export const bearer = [{ bearer: [] }];
