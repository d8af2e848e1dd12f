import { Problem } from '@emporium/contracts/common';
import { User } from '@emporium/contracts/identity';
import { OrderSummary } from '@emporium/contracts/orders';
import { Recommendation } from '@emporium/contracts/recommendations';
import { AppError, errors, requestContext, requireUser, Type, type Static, type ServiceApp, type TokenVerifier, type TSchema } from '@emporium/kit';
import type { FastifyRequest } from 'fastify';
import type { UpstreamName, Upstreams } from '../upstreams.ts';

/** `GET /api/v1/dashboard` answer: the caller's page, gathered from several services; a part that fails is empty and named in `notes`. */
export const Dashboard = Type.Object({
  user: Type.Union([User, Type.Null()], { description: 'The caller, from identity; null when identity could not answer' }),
  recentOrders: Type.Array(OrderSummary, { description: 'The caller’s latest orders (at most 5), from orders' }),
  recommendations: Type.Array(Recommendation, { description: 'Products often bought with the first product of the latest order' }),
  notes: Type.Array(Type.String(), { description: 'One line per part that could not be gathered, naming the part and why' }),
});
export type Dashboard = Static<typeof Dashboard>;

/** What the dashboard needs: its own clients for identity, orders and recommendations, and the token verifier. */
export interface DashboardRoutesOptions {
  /** Clients whose timeout is the dashboard's, so that one slow part cannot hold the page. */
  upstreams: Pick<Upstreams, 'get'>;
  verifier: TokenVerifier;
  /** The time each call is allowed, headers and body together. */
  timeoutMs: number;
}

/** Whether an answer holds what the contract promises. */
type Check<T> = (value: unknown) => value is T;

/** The outcome of one part: its value, or why there is none. */
type PartResult<T> = { ok: true; value: T } | { ok: false; status?: number; reason: string };

const OrdersAnswer = Type.Object({ data: Type.Array(OrderSummary) });
const RecommendationsAnswer = Type.Object({ data: Type.Array(Recommendation) });

/**
 * `GET /api/v1/dashboard`: the signed-in caller's profile, latest orders, and recommendations
 * for the latest order, fetched in parallel with the caller's token. A failing part does not
 * fail the page: it is left empty and explained in `notes`. Only identity refusing the token
 * (401) fails the whole, as the caller is then not signed in.
 */
export async function dashboardRoutes(app: ServiceApp, opts: DashboardRoutesOptions): Promise<void> {
  // The kit's validator (Ajv, with formats) checks each answer before it is serialized, so an
  // answer that breaks its contract becomes a note instead of a failed serialization.
  const compile = <T extends TSchema>(schema: T) =>
    app.validatorCompiler!({ schema, method: 'GET', url: '/api/v1/dashboard', httpPart: 'body' }) as unknown as Check<Static<T>>;
  const isUser = compile(User);
  const isOrders = compile(OrdersAnswer);
  const isRecommendations = compile(RecommendationsAnswer);

  /** One call behind the dashboard, with its own deadline; it never throws. */
  async function fetchPart<T>(request: FastifyRequest, service: UpstreamName, path: string, check: Check<T>): Promise<PartResult<T>> {
    // undici checks its timeouts on a timer of about a second, too coarse for this deadline; its
    // own timeout (the same value) still ends the abandoned call soon after.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<PartResult<never>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `timed out after ${opts.timeoutMs} ms` }), opts.timeoutMs);
    });
    return Promise.race([callPart(request, service, path, check), deadline]).finally(() => clearTimeout(timer));
  }

  async function callPart<T>(request: FastifyRequest, service: UpstreamName, path: string, check: Check<T>): Promise<PartResult<T>> {
    const upstream = opts.upstreams.get(service)!;
    try {
      const res = await upstream.json<unknown>({ method: 'GET', path, headers: { authorization: request.headers.authorization }, context: requestContext(request) });
      if (res.status !== 200) return { ok: false, status: res.status, reason: `answered ${res.status}` };
      if (!check(res.body)) return { ok: false, reason: 'its answer does not match its contract' };
      return { ok: true, value: res.body };
    } catch (err) {
      return { ok: false, reason: whyUnavailable(err, upstream.state, opts.timeoutMs) };
    }
  }

  app.get('/api/v1/dashboard', {
    onRequest: requireUser(opts.verifier),
    schema: {
      tags: ['gateway'],
      summary: "The signed-in caller's dashboard",
      description:
        'Gathered in parallel from identity, orders and recommendations, each call with its own short timeout. A part that fails is null or empty, and `notes` says which and why; the answer is still 200.',
      security: [{ bearer: [] }],
      response: { 200: Dashboard, 401: Problem },
    },
  }, async (request) => {
    const notes: string[] = [];
    const failed = (part: string, service: string, reason: string) => {
      request.log.debug({ part, service, reason }, 'a dashboard part is unavailable');
      notes.push(`${part}: ${service} is unavailable (${reason})`);
    };

    const userCall = fetchPart(request, 'identity', '/users/me', isUser);
    const ordersCall = fetchPart(request, 'orders', '/orders?limit=5', isOrders);
    // Recommendations follow the latest order, so this call waits for the orders answer.
    const recommendationsCall = ordersCall.then((orders): Promise<PartResult<Static<typeof RecommendationsAnswer>>> => {
      const productId = orders.ok ? latest(orders.value.data)?.items[0]?.productId : undefined;
      if (!productId) return Promise.resolve({ ok: true, value: { data: [] } });
      return fetchPart(request, 'recommendations', `/recommendations?productId=${encodeURIComponent(productId)}&limit=5`, isRecommendations);
    });
    const [user, orders, recommendations] = await Promise.all([userCall, ordersCall, recommendationsCall]);

    // Identity is the authority on the token: its 401 means the caller is not signed in after all.
    if (!user.ok && user.status === 401) throw errors.UNAUTHENTICATED('The token was refused; sign in again.', { headers: { 'www-authenticate': 'Bearer' } });
    if (!user.ok) failed('user', 'identity', user.reason);
    if (!orders.ok) failed('recentOrders', 'orders', orders.reason);
    if (!recommendations.ok) failed('recommendations', 'recommendations', recommendations.reason);
    return {
      user: user.ok ? user.value : null,
      recentOrders: orders.ok ? orders.value.data : [],
      recommendations: recommendations.ok ? recommendations.value.data : [],
      notes,
    };
  });
}

/** The most recently placed order; the service's own order is not relied on. */
function latest<T extends { createdAt: string }>(orders: readonly T[]): T | undefined {
  let newest: T | undefined;
  for (const order of orders) if (!newest || Date.parse(order.createdAt) > Date.parse(newest.createdAt)) newest = order;
  return newest;
}

/** Why a call failed, in a few words for the notes. */
function whyUnavailable(err: unknown, state: string, timeoutMs: number): string {
  if (err instanceof AppError) {
    if (err.code === 'UPSTREAM_TIMEOUT') return `timed out after ${timeoutMs} ms`;
    // The client attaches the transport error as the cause; an open circuit or a full bulkhead has none.
    if (err.cause !== undefined) return 'could not be reached';
    if (state === 'open' || state === 'half-open') return 'its circuit is open';
    return 'too many requests in flight';
  }
  if (err instanceof SyntaxError) return 'its answer is not JSON';
  if ((err as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  return 'its answer was cut off';
}
