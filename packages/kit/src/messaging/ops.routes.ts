import { Type } from '@sinclair/typebox';
import { Id, Problem } from '@emporium/contracts/common';
import { DeadLetter } from '@emporium/contracts/ops';
import { requireRole, type TokenVerifier } from '../auth.ts';
import { bearer } from '../openapi.ts';
import type { ServiceApp } from '../service.ts';
import { messagingErrors } from './errors.ts';
import type { Messaging } from './messaging.ts';

/** What the ops routes need: the service's messaging and a verifier for admin tokens. */
export interface OpsRoutesOptions {
  messaging: Messaging;
  verifier: TokenVerifier;
}

/**
 * GET /ops/outbox (the relay's backlog), GET /ops/dead-letters and POST /ops/dead-letters/:id/replay, admin only: the service's own
 * dead letters, and one more try at handling one of them.
 */
export async function opsRoutes(app: ServiceApp, { messaging, verifier }: OpsRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  app.get('/ops/outbox', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "The outbox's backlog: events committed but not yet published",
      security: bearer,
      response: { 200: Type.Object({ unpublished: Type.Integer(), oldestCreatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }), 401: Problem, 403: Problem },
    },
  }, async () => messaging.outboxBacklog());

  app.get('/ops/dead-letters', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "This service's dead letters, newest first",
      security: bearer,
      querystring: Type.Object(
        {
          includeReplayed: Type.Optional(Type.Boolean({ default: false, description: 'Also list those already replayed' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ data: Type.Array(DeadLetter) }), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request) => ({ data: await messaging.deadLetters(request.query) }));

  app.post('/ops/dead-letters/:id/replay', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Hands an open dead letter to its subscription once more',
      description: 'On success the dead letter is marked replayed; on failure it stays open with the new error (409).',
      security: bearer,
      params: Type.Object({ id: Id }),
      response: { 200: Type.Object({ handled: Type.Literal(true) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const outcome = await messaging.replay(request.params.id);
    if (!outcome.handled) throw messagingErrors.MESSAGING_REPLAY_FAILED(`The handler failed again: ${outcome.error ?? 'unknown error'}`);
    return { handled: true as const };
  });
}
