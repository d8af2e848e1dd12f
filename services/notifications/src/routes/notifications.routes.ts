import { bearer, problemResponses, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { pagination } from '@emporium/contracts/common';
import { NotificationPage, NotificationQuery } from '@emporium/contracts/notifications';
import { listNotifications } from '../db/notifications.repository.ts';

/** What the notifications routes need. */
export interface NotificationRouteOptions {
  db: Database;
  verifier: TokenVerifier;
}

/** Problem+json response schemas for the given statuses, so /openapi.json lists the route's errors. */
const problems = problemResponses({
  400: 'The query is not valid',
  401: 'Authentication is required',
});

/** `GET /notifications`: the caller's own messages, newest first. */
export async function notificationRoutes(app: ServiceApp, { db, verifier }: NotificationRouteOptions): Promise<void> {
  app.get('/notifications', {
    onRequest: requireUser(verifier),
    schema: {
      tags: ['notifications'],
      summary: 'The messages sent to the caller, newest first',
      security: bearer,
      querystring: NotificationQuery,
      response: { 200: NotificationPage, ...problems(400, 401) },
    },
  }, async (request) => {
    const { page = 1, limit = 20 } = request.query;
    // Only the caller's own: the user id comes from the verified token, never from the request (I7).
    const { items, total } = await listNotifications(db, request.caller!.id, { limit, offset: (page - 1) * limit });
    return { data: items, pagination: pagination(page, limit, total) };
  });
}
