import { Type, type Static } from '@sinclair/typebox';
import { Id, Money, Page, PageQuery } from './common.ts';
import { defineEvent } from './events.ts';

/** A category's URL name: lowercase words joined by hyphens ("coffee", "desk-setup"). */
export const CategorySlug = Type.String({ pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', minLength: 1, maxLength: 64, examples: ['coffee'] });

/** A stock-keeping unit: letters, digits, dots, dashes and underscores; unique ignoring case. */
export const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', minLength: 1, maxLength: 64, examples: ['COF-ESP-001'] });

/** A display name: 1 to 200 characters, not only spaces. */
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });

/** The sort orders of the product list; relevance applies when searching and no sort is given. */
export const PRODUCT_SORTS = ['price', '-price', 'name', '-createdAt'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];
export const ProductSortParam = Type.Unsafe<ProductSort>({
  type: 'string',
  enum: [...PRODUCT_SORTS],
  description: '`price` and `name` ascending, `-price` and `-createdAt` descending. Default: relevance when searching, else `-createdAt`.',
});

/** A category as shown inside a product. */
export const CategoryRef = Type.Object({ id: Id, slug: CategorySlug, name: Type.String() });

/** A product, with its category and the stock available to order. */
export const Product = Type.Object({
  id: Id,
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  price: Money,
  category: CategoryRef,
  stock: Type.Object({ available: Type.Integer({ minimum: 0 }) }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Product = Static<typeof Product>;

/** A page of products. */
export const ProductPage = Page(Product);
export type ProductPage = Static<typeof ProductPage>;

/** `GET /products` query: words to search, a category slug, paging and sort. */
export const ProductQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200, description: 'Words in the name or description; each matches as a prefix ("espr" finds "Espresso").' })),
  category: Type.Optional(CategorySlug),
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
  sort: Type.Optional(ProductSortParam),
});
export type ProductQuery = Static<typeof ProductQuery>;

/** `/products/:id` path parameters. */
export const ProductParams = Type.Object({ id: Id });

const productFields = {
  sku: Sku,
  name: Name,
  description: Description,
  price: Money,
  category: CategorySlug,
};

/** `POST /products` body. `initialStock` is the stock available at creation (default 0). */
export const CreateProductBody = Type.Object(
  {
    ...productFields,
    initialStock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type CreateProductBody = Static<typeof CreateProductBody>;

/** `PUT /products/:id` body: any non-empty subset of the product's fields. Stock is not set here. */
export const UpdateProductBody = Type.Partial(Type.Object(productFields), { additionalProperties: false, minProperties: 1 });
export type UpdateProductBody = Static<typeof UpdateProductBody>;

/** A category with the number of products in it. */
export const Category = Type.Object({
  id: Id,
  slug: CategorySlug,
  name: Type.String(),
  description: Type.String(),
  productCount: Type.Integer({ minimum: 0 }),
});
export type Category = Static<typeof Category>;

/** `GET /categories` answer: every category, by name. */
export const CategoryList = Type.Object({ data: Type.Array(Category) });
export type CategoryList = Static<typeof CategoryList>;

/** `POST /categories` body. */
export const CreateCategoryBody = Type.Object(
  { slug: CategorySlug, name: Name, description: Type.Optional(Description) },
  { additionalProperties: false },
);
export type CreateCategoryBody = Static<typeof CreateCategoryBody>;

// Events. Catalog publishes them through its outbox, in the transaction that changes the product.

/** A product was created, with the stock it starts with (inventory opens its stock from it). */
export const productCreated = defineEvent({
  type: 'product.created',
  version: 1,
  producer: 'catalog',
  subject: 'the product id',
  description: 'A product was created, with the stock available at creation.',
  delivery: 'at least once; in order per subject; consumers deduplicate by event id',
  schema: Type.Object(
    { productId: Id, sku: Sku, name: Name, price: Money, category: CategorySlug, initialStock: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  ),
});

/** A product changed; carries its whole current state, not a diff (cart reprices from it). */
export const productUpdated = defineEvent({
  type: 'product.updated',
  version: 1,
  producer: 'catalog',
  subject: 'the product id',
  description: "A product's fields changed; the event carries its whole current state, not a diff.",
  delivery: 'at least once; in order per subject; consumers deduplicate by event id',
  schema: Type.Object({ productId: Id, sku: Sku, name: Name, price: Money, category: CategorySlug }, { additionalProperties: false }),
});

/** A product was deleted. */
export const productDeleted = defineEvent({
  type: 'product.deleted',
  version: 1,
  producer: 'catalog',
  subject: 'the product id',
  description: 'A product was deleted and can no longer be ordered.',
  delivery: 'at least once; in order per subject; consumers deduplicate by event id',
  schema: Type.Object({ productId: Id }, { additionalProperties: false }),
});

/** Every event catalog publishes. */
export const catalogEvents = { productCreated, productUpdated, productDeleted } as const;
