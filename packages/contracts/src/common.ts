import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** An ISO 4217 currency code. The platform trades in USD today. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });

/** The largest amount of money the platform handles, in minor units: 100,000,000.00. */
export const MAX_MONEY_AMOUNT = 100_000_000_00;

/** Money in integer minor units (cents), never a float. */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: MAX_MONEY_AMOUNT, description: 'Integer minor units (cents)' }),
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
  correlationId: Type.Optional(Type.String({ description: 'The request’s correlation id, as in its x-correlation-id header and every log line about it' })),
});
export type Problem = Static<typeof Problem>;

/** The roles a user can hold. */
export const Role = Type.Union([Type.Literal('customer'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

/** A two-letter ISO 3166-1 country code. */
export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2', examples: ['US'] });

const Line = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });

/** A postal address, where an order is shipped. */
export const Address = Type.Object(
  {
    name: Line(200),
    line1: Line(200),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Line(100),
    postalCode: Type.String({ minLength: 2, maxLength: 16, pattern: '^[A-Za-z0-9][A-Za-z0-9 -]*$' }),
    country: CountryCode,
  },
  { additionalProperties: false },
);
export type Address = Static<typeof Address>;

/** How many of one product: an order line or a reservation line. */
export const ItemQuantity = Type.Object(
  { productId: Id, quantity: Type.Integer({ minimum: 1, maximum: 1_000 }) },
  { additionalProperties: false },
);
export type ItemQuantity = Static<typeof ItemQuantity>;
