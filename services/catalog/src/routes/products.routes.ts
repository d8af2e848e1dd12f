import { bearer, requireRole, type Database, type Messaging, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { pagination } from '@emporium/contracts/common';
import { CreateProductBody, Product, ProductPage, ProductParams, ProductQuery, UpdateProductBody, productCreated, productDeleted, productUpdated } from '@emporium/contracts/catalog';
import { findCategoryId } from '../db/categories.repository.ts';
import { deleteProduct, findProduct, insertProduct, listProducts, updateProduct } from '../db/products.repository.ts';
import { isSupportedCurrency } from '../domain/money.ts';
import { prefixTsQuery } from '../domain/search.ts';
import { productOrder } from '../domain/sort.ts';
import { catalogErrors } from '../errors.ts';
import { problems } from './schemas.ts';

/** What the catalog's route plugins need. */
export interface CatalogRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  messaging: Messaging;
}

/** What product.created and product.updated say about a product. */
const eventData = (p: Product) => ({ productId: p.id, sku: p.sku, name: p.name, price: p.price, category: p.category.slug });

const tags = ['products'];

function checkCurrency(currency: string): void {
  if (!isSupportedCurrency(currency)) throw catalogErrors.CATALOG_UNSUPPORTED_CURRENCY(`Prices are in USD only; "${currency}" is not supported yet.`);
}

const notFound = (id: string) => catalogErrors.CATALOG_PRODUCT_NOT_FOUND(`There is no product with id ${id}.`);

/** `/products`: search and read for anyone; create, update and delete for admins. */
export async function productRoutes(app: ServiceApp, { db, verifier, messaging }: CatalogRouteOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  app.get('/products', {
    schema: {
      tags,
      summary: 'Search and list products',
      querystring: ProductQuery,
      response: { 200: ProductPage, ...problems(400) },
    },
  }, async (request) => {
    const { search, category, sort, page = 1, limit = 20 } = request.query;
    const tsquery = prefixTsQuery(search);
    const order = productOrder(sort, tsquery !== undefined);
    const { items, total } = await listProducts(db, { tsquery, categorySlug: category, order, limit, offset: (page - 1) * limit });
    return { data: items, pagination: pagination(page, limit, total) };
  });

  app.get('/products/:id', {
    schema: {
      tags,
      summary: 'One product, with its stock',
      params: ProductParams,
      response: { 200: Product, ...problems(400, 404) },
    },
  }, async (request) => {
    const product = await findProduct(db, request.params.id);
    if (!product) throw notFound(request.params.id);
    return product;
  });

  app.post('/products', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Create a product (admin)',
      security: bearer,
      body: CreateProductBody,
      response: { 201: Product, ...problems(400, 401, 403, 409, 422) },
    },
  }, async (request, reply) => {
    const { sku, name, description, price, category, initialStock = 0 } = request.body;
    checkCurrency(price.currency);
    // The product and its event commit together: initialStock travels on to whoever owns stock.
    const product = await db.transaction(async (tx) => {
      const created = await insertProduct(tx, { sku, name, description, priceAmount: price.amount, currency: price.currency, categorySlug: category, stockAvailable: initialStock });
      if (!created) throw catalogErrors.CATALOG_UNKNOWN_CATEGORY(`There is no category with the slug "${category}".`);
      await messaging.publish(tx, productCreated, { ...eventData(created), initialStock }, { subject: created.id });
      return created;
    });
    return reply.code(201).header('location', `/products/${product.id}`).send(product);
  });

  app.put('/products/:id', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Change some of a product\'s fields (admin)',
      security: bearer,
      params: ProductParams,
      body: UpdateProductBody,
      response: { 200: Product, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => {
    const { id } = request.params;
    const { sku, name, description, price, category } = request.body;
    if (price) checkCurrency(price.currency);
    const product = await db.transaction(async (tx) => {
      let categoryId: string | undefined;
      if (category !== undefined) {
        categoryId = await findCategoryId(tx, category);
        if (!categoryId) throw catalogErrors.CATALOG_UNKNOWN_CATEGORY(`There is no category with the slug "${category}".`);
      }
      const updated = await updateProduct(tx, id, { sku, name, description, priceAmount: price?.amount, currency: price?.currency, categoryId });
      if (updated) await messaging.publish(tx, productUpdated, eventData(updated), { subject: updated.id });
      return updated;
    });
    if (!product) throw notFound(id);
    return product;
  });

  app.delete('/products/:id', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Delete a product (admin)',
      security: bearer,
      params: ProductParams,
      response: { 204: { type: 'null', description: 'Deleted' }, ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    await db.transaction(async (tx) => {
      if (!(await deleteProduct(tx, id))) throw notFound(id);
      await messaging.publish(tx, productDeleted, { productId: id }, { subject: id });
    });
    return reply.code(204).send();
  });
}
