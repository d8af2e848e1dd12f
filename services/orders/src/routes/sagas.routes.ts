import { bearer, requireRole, Type, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { Id, pagination } from '@emporium/contracts/common';
import { Saga, SagaPage, SagaQuery } from '@emporium/contracts/orders';
import { findSaga, listSagas } from '../db/sagas.repository.ts';
import { ordersErrors } from '../errors.ts';
import type { OrderHistoryProjection } from '../read-models/order-history.ts';
import type { SagaOrchestrator } from '../sagas/orchestrator.ts';
import type { CheckoutData } from '../sagas/place-order/index.ts';
import { problems } from './schemas.ts';

/** What the operations routes need. */
export interface SagaRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  saga: SagaOrchestrator<CheckoutData>;
  history: OrderHistoryProjection;
}

const tags = ['operations'];
const SagaParams = Type.Object({ id: Id });

/** `/ops/sagas` (admin): list stuck and failed checkout sagas, retry or compensate one; rebuild the order history. */
export async function sagaRoutes(app: ServiceApp, { db, verifier, saga, history }: SagaRouteOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');
  const found = async (id: string) => {
    const s = await findSaga(db, id);
    if (!s) throw ordersErrors.ORDERS_SAGA_NOT_FOUND(`There is no saga ${id}.`);
    return s;
  };

  app.get('/ops/sagas', {
    onRequest: admin,
    schema: { tags, summary: 'Checkout sagas: by default the stuck (past their deadline) and failed ones', security: bearer, querystring: SagaQuery, response: { 200: SagaPage, ...problems(400, 401, 403) } },
  }, async (request) => {
    const { filter = 'problem', status, page = 1, limit = 20 } = request.query;
    const { items, total } = await listSagas(db, { problemOnly: filter === 'problem', status, limit, offset: (page - 1) * limit });
    return { data: items, pagination: pagination(page, limit, total) };
  });

  app.get('/ops/sagas/:id', {
    onRequest: admin,
    schema: { tags, summary: 'One saga with its timeline', security: bearer, params: SagaParams, response: { 200: Saga, ...problems(400, 401, 403, 404) } },
  }, async (request) => found(request.params.id));

  app.post('/ops/sagas/:id/retry', {
    onRequest: admin,
    schema: { tags, summary: 'Send the current command again (the running step, or the compensation) with a new deadline', security: bearer, params: SagaParams, response: { 200: Saga, ...problems(400, 401, 403, 404, 409) } },
  }, async (request) => {
    await found(request.params.id);
    await db.transaction((tx) => saga.retry(tx, request.params.id));
    return found(request.params.id);
  });

  app.post('/ops/sagas/:id/compensate', {
    onRequest: admin,
    schema: { tags, summary: 'Undo what the saga did, newest step first, and cancel its order', security: bearer, params: SagaParams, response: { 200: Saga, ...problems(400, 401, 403, 404, 409) } },
  }, async (request) => {
    await found(request.params.id);
    await db.transaction((tx) => saga.compensate(tx, request.params.id, 'compensated by an operator'));
    return found(request.params.id);
  });

  app.post('/ops/read-models/order-history/rebuild', {
    onRequest: admin,
    schema: { tags, summary: 'Rebuild the order-history read model by replaying every order event', security: bearer, response: { 200: Type.Object({ replayed: Type.Integer() }), ...problems(401, 403) } },
  }, async () => ({ replayed: await history.rebuild() }));
}
