import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** An ISO 4217 currency code. The platform trades in USD today. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });

/** Money in integer minor units (cents), never a float. */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: 100_000_000_00, description: 'Integer minor units (cents)' }),
    currency: Currency,
  },
  { additionalProperties: false },
);
export type Money = Static<typeof Money>;

/** Ids are opaque strings; a UUID today. */
// A pattern rather than format 'uuid', which also admits `urn:uuid:…` forms that PostgreSQL refuses.
export const Id = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'An opaque identifier (a UUID)' });

/** Standard paging parameters: page starts at 1, limit defaults to 20 and is at most 100. */
export const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const Pagination = Type.Object({
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer(),
  pages: Type.Integer(),
});
export type Pagination = Static<typeof Pagination>;

/** A page of items: `{ data, pagination }`. */
export const Page = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), pagination: Pagination });

/** Builds the pagination block of a list answer. */
export function pagination(page: number, limit: number, total: number): Pagination {
  return { page, limit, total, pages: Math.ceil(total / limit) };
}

/** RFC 9457 problem details, as every error is answered. */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
export type Problem = Static<typeof Problem>;

/** The roles a user can hold. */
export const Role = Type.Union([Type.Literal('customer'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;
