import { bearer, requireRole, type ServiceApp } from '@emporium/kit';
import { Category, CategoryList, CreateCategoryBody } from '@emporium/contracts/catalog';
import { insertCategory, listCategories } from '../db/categories.repository.ts';
import type { CatalogRouteOptions } from './products.routes.ts';
import { problems } from './schemas.ts';

const tags = ['categories'];

/** `/categories`: the list for anyone; create for admins. */
export async function categoryRoutes(app: ServiceApp, { db, verifier }: CatalogRouteOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  app.get('/categories', {
    schema: { tags, summary: 'Every category, with its product count', response: { 200: CategoryList } },
  }, async () => ({ data: await listCategories(db) }));

  app.post('/categories', {
    onRequest: admin,
    schema: {
      tags,
      summary: 'Create a category (admin)',
      security: bearer,
      body: CreateCategoryBody,
      response: { 201: Category, ...problems(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { slug, name, description = '' } = request.body;
    return reply.code(201).send(await insertCategory(db, { slug, name, description }));
  });
}
