import { Id, Problem } from '@emporium/contracts/common';
import { DeadLetter } from '@emporium/contracts/ops';
import type { FastifyRequest } from 'fastify';
import { errors, requestContext, requireRole, Type, type ServiceApp, type TokenVerifier, type Upstream } from '@emporium/kit';
import type { UpstreamName } from '../upstreams.ts';

/** What the gateway's ops routes need: the services to ask, and a verifier for admin tokens. */
export interface OpsRoutesOptions {
  upstreams: Map<UpstreamName, Upstream>;
  verifier: TokenVerifier;
}

/**
 * The console's view of dead letters across the services: one merged list, and a replay that
 * is forwarded to the service holding the letter. Admin only, checked here and again by the service.
 */
export async function opsRoutes(app: ServiceApp, { upstreams, verifier }: OpsRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  /** Asks every service for `path` with the caller's token: the answers by service, and who did not answer. */
  const gather = async <T>(request: FastifyRequest, path: string, what: string) => {
    const answers: Array<[string, T]> = [];
    const unavailable: string[] = [];
    await Promise.all(
      [...upstreams].map(async ([service, upstream]) => {
        try {
          const res = await upstream.json<T>({ method: 'GET', path, headers: { authorization: request.headers.authorization }, context: requestContext(request) });
          if (res.status !== 200) throw new Error(`status ${res.status}`);
          answers.push([service, res.body]);
        } catch (err) {
          request.log.debug({ service, err: (err as Error).message }, `no ${what} from a service`);
          unavailable.push(service);
        }
      }),
    );
    return { answers: answers.sort(([a], [b]) => a.localeCompare(b)), unavailable: unavailable.sort() };
  };

  app.get('/api/v1/ops/outbox', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "Every service's outbox backlog: events committed but not yet published",
      description: 'A service that does not answer, or has no outbox, is named in `unavailable`.',
      security: [{ bearer: [] }],
      response: {
        200: Type.Object({
          data: Type.Array(Type.Object({ service: Type.String(), unpublished: Type.Integer(), oldestCreatedAt: Type.Union([Type.String(), Type.Null()]) })),
          unavailable: Type.Array(Type.String()),
        }),
        401: Problem,
        403: Problem,
      },
    },
  }, async (request) => {
    const { answers, unavailable } = await gather<{ unpublished: number; oldestCreatedAt: string | null }>(request, '/ops/outbox', 'outbox backlog');
    return { data: answers.map(([service, backlog]) => ({ service, ...backlog })), unavailable };
  });

  app.get('/api/v1/ops/dead-letters', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: "Every service's dead letters, newest first",
      description: 'A service that does not answer, or has no dead-letter route, is named in `unavailable` instead of failing the whole.',
      security: [{ bearer: [] }],
      querystring: Type.Object(
        {
          includeReplayed: Type.Boolean({ default: false, description: 'Also list those already replayed' }),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'At most this many, per service and in all' }),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({
          data: Type.Array(Type.Composite([DeadLetter, Type.Object({ service: Type.String() })])),
          unavailable: Type.Array(Type.String()),
        }),
        400: Problem,
        401: Problem,
        403: Problem,
      },
    },
  }, async (request) => {
    const { includeReplayed, limit } = request.query;
    const path = `/ops/dead-letters?includeReplayed=${includeReplayed}&limit=${limit}`;
    const { answers, unavailable } = await gather<{ data: DeadLetter[] }>(request, path, 'dead letters');
    const data = answers.flatMap(([service, body]) => body.data.map((letter) => ({ ...letter, service })));
    // ISO timestamps in UTC sort as text; the id breaks ties so the order is stable.
    data.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    return { data: data.slice(0, limit), unavailable };
  });

  app.post('/api/v1/ops/dead-letters/:service/:id/replay', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Replays one dead letter in the service that holds it',
      description: "The service's answer is passed through: 200 `{ handled: true }`, 404 when no open dead letter has that id, 409 `MESSAGING_REPLAY_FAILED` when the handler fails again.",
      security: [{ bearer: [] }],
      params: Type.Object({ service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,60}$' }), id: Id }),
      response: { 200: Type.Object({ handled: Type.Literal(true) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const { service, id } = request.params;
    const upstream = upstreams.get(service as UpstreamName);
    if (!upstream) throw errors.NOT_FOUND(`There is no service named ${service}.`);
    const res = await upstream
      .json<unknown>({ method: 'POST', path: `/ops/dead-letters/${id}/replay`, headers: { authorization: request.headers.authorization }, context: requestContext(request) })
      .catch((err: unknown) => {
        if (err instanceof SyntaxError) throw errors.BAD_GATEWAY(`The ${service} service answered with something other than JSON.`);
        throw err;
      });
    if (res.status >= 400) reply.type('application/problem+json');
    // Passed through as the service answered it; the schema above documents what it sends.
    return reply.code(res.status as 200).send(res.body as { handled: true });
  });
}
