import { describe, expect, it } from 'vitest';
import { bearer, problemResponses } from '@emporium/kit';
import { Problem } from '@emporium/contracts/common';

describe('problemResponses', () => {
  const problems = problemResponses({ 401: 'Authentication is required', 404: 'No such widget' });

  it('gives each status a problem+json response with its description', () => {
    expect(problems(401, 404)).toEqual({
      401: { description: 'Authentication is required', content: { 'application/problem+json': { schema: Problem } } },
      404: { description: 'No such widget', content: { 'application/problem+json': { schema: Problem } } },
    });
  });

  it("describes a status missing from the table as 'Error'", () => {
    expect(problems(500)[500].description).toBe('Error');
  });

  it('gives nothing for no statuses', () => {
    expect(problems()).toEqual({});
  });
});

describe('bearer', () => {
  it('names the bearer security scheme the kit declares', () => {
    expect(bearer).toEqual([{ bearer: [] }]);
  });
});
