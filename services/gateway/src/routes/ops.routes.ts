import { Id, Problem } from '@emporium/contracts/common';
import { DeadLetter } from '@emporium/contracts/ops';
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

  app.get('/api/v1/ops/dead-letters', {
    preHandler: admin,
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
    const headers = { authorization: request.headers.authorization };
    const data: Array<DeadLetter & { service: string }> = [];
    const unavailable: string[] = [];
    await Promise.all(
      [...upstreams].map(async ([service, upstream]) => {
        try {
          const res = await upstream.json<{ data: DeadLetter[] }>({ method: 'GET', path, headers, context: requestContext(request) });
          if (res.status !== 200) throw new Error(`status ${res.status}`);
          for (const letter of res.body.data) data.push({ ...letter, service });
        } catch (err) {
          request.log.debug({ service, err: (err as Error).message }, 'no dead letters from a service');
          unavailable.push(service);
        }
      }),
    );
    // ISO timestamps in UTC sort as text; the id breaks ties so the order is stable.
    data.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    return { data: data.slice(0, limit), unavailable: unavailable.sort() };
  });

  app.post('/api/v1/ops/dead-letters/:service/:id/replay', {
    preHandler: admin,
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
