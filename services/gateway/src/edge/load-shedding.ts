import underPressure from '@fastify/under-pressure';
import { serviceCounter, type ServiceApp, type ServiceContext } from '@emporium/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { gatewaySettings } from '../config.ts';
import { gatewayErrors } from '../errors.ts';

/**
 * Never shed: the liveness probe (a shed one would get the pod restarted), Prometheus' scrape
 * (overload is when operators most need the figures; it needs a token, so it is no way in for
 * load) and CORS preflights. Readiness is shed: failing it tells a load balancer to back off.
 */
const exempt = (request: FastifyRequest) => request.method === 'OPTIONS' || request.url === '/health/live' || request.url === '/metrics';

/**
 * Sheds load before it queues: a request that arrives while the gateway is overloaded gets 503
 * with Retry-After at once, and costs nothing further. Two signals, either enough:
 * - the event loop's delay (measured by @fastify/under-pressure every second): past
 *   SHED_EVENT_LOOP_DELAY_MS, work already waits too long to take more;
 * - the requests in flight: past SHED_MAX_IN_FLIGHT, new ones are refused instead of piling up
 *   behind slow upstreams. Event streams are left out: they stay open by design and have their
 *   own cap (EVENT_STREAMS_MAX).
 */
export async function registerLoadShedding(app: ServiceApp, ctx: ServiceContext<typeof gatewaySettings>): Promise<void> {
  const { SHED_EVENT_LOOP_DELAY_MS: maxDelay, SHED_MAX_IN_FLIGHT: maxInFlight, SHED_RETRY_AFTER_SECONDS: retryAfter } = ctx.settings;
  const shed = serviceCounter(ctx.metrics, { name: 'gateway_shed_requests_total', help: 'Requests refused with 503 because the gateway was overloaded, by signal (event_loop_delay or in_flight)', labelNames: ['reason'] });
  const refuse = (reason: 'event_loop_delay' | 'in_flight', message: string) => {
    shed.inc({ reason });
    return gatewayErrors.GATEWAY_OVERLOADED(message, { headers: { 'retry-after': String(retryAfter) } });
  };

  await app.register(underPressure, {
    maxEventLoopDelay: maxDelay,
    retryAfter,
    sampleInterval: 1_000,
    pressureHandler: (request: FastifyRequest, _reply: FastifyReply, _type: string, value: number | undefined) => {
      if (exempt(request)) return;
      throw refuse('event_loop_delay', `The gateway is overloaded (event loop delay ${Math.round(value ?? 0)} ms); try again in ${retryAfter} s.`);
    },
  });

  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  app.addHook('onRequest', async (request) => {
    if (exempt(request) || request.headers.accept === 'text/event-stream') return;
    if (inFlight >= maxInFlight) throw refuse('in_flight', `The gateway has ${inFlight} requests in flight, its limit; try again in ${retryAfter} s.`);
    inFlight += 1;
    counted.add(request);
  });
  const release = async (request: FastifyRequest) => {
    if (!counted.delete(request)) return;
    inFlight -= 1;
  };
  app.addHook('onResponse', release);
  // A client that goes away before the answer still frees its place.
  app.addHook('onRequestAbort', release);
}
