import { randomUUID } from 'node:crypto';
import { bearer, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { OrderParams } from '@emporium/contracts/orders';
import { historyOf } from '../db/history.repository.ts';
import { claimStreamSlot, releaseStreamSlot, renewStreamSlot } from '../db/streams.repository.ts';
import { ordersErrors } from '../errors.ts';
import type { OrderStatusFeed } from '../read-models/status-feed.ts';
import { ownOrder } from './orders.routes.ts';
import { problems } from './schemas.ts';

/** What the status stream needs. */
export interface OrderEventsOptions {
  db: Database;
  verifier: TokenVerifier;
  feed: OrderStatusFeed;
  /** How often an open stream re-reads its order when nothing was announced (a lost NOTIFY). */
  pollMs: number;
  /** Streams one user may hold open at once, across replicas. */
  perUser: number;
  /** How often a comment keeps idle proxies from closing the stream. */
  heartbeatMs?: number;
}

const TERMINAL = new Set(['CANCELLED', 'DELIVERED']);

/**
 * `GET /orders/:id/events`: Server-Sent Events, one `status` event per entry of the order's
 * history (the read model), from the first; the stream ends after CANCELLED or DELIVERED. Each
 * user holds at most `perUser` streams at once, so no account can take every connection.
 */
export async function orderEventsRoutes(app: ServiceApp, { db, verifier, feed, pollMs, perUser, heartbeatMs = 15_000 }: OrderEventsOptions): Promise<void> {
  // A slot is renewed with each heartbeat: one whose replica died lapses after three missed.
  const leaseMs = 3 * heartbeatMs;
  app.get('/orders/:id/events', {
    onRequest: requireUser(verifier),
    schema: {
      tags: ['orders'],
      summary: "The order's status changes as Server-Sent Events (`event: status`, data `{status, at, note}`)",
      security: bearer,
      params: OrderParams,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...problems(400, 401, 404, 429) },
    },
  }, async (request, reply) => {
    const caller = request.caller!;
    const order = await ownOrder(db, caller, request.params.id);
    const slot = randomUUID();
    if (!(await claimStreamSlot(db, { id: slot, userId: caller.id, limit: perUser, leaseMs }))) {
      // A closed stream frees its slot at once; a vanished client is found out when a heartbeat cannot be written.
      throw ordersErrors.ORDERS_TOO_MANY_STREAMS(`You already have ${perUser} order streams open: close one, or try again shortly.`, {
        headers: { 'retry-after': String(Math.ceil(heartbeatMs / 1000)) },
      });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');

    let sent = 0;
    let closed = false;
    let reading: Promise<void> = Promise.resolve();
    const close = () => {
      if (closed) return;
      closed = true;
      unwatch();
      clearInterval(poll);
      clearInterval(heartbeat);
      res.end();
      releaseStreamSlot(db, slot).catch((err: unknown) => request.log.warn({ err: (err as Error).message }, 'an order stream could not free its slot; it lapses'));
    };
    // Reads run one after another, so two announcements never send an entry twice.
    const catchUp = () => {
      reading = reading.then(async () => {
        if (closed) return;
        const history = await historyOf(db, order.id);
        for (; sent < history.length; sent++) {
          const entry = history[sent]!;
          res.write(`id: ${sent + 1}\nevent: status\ndata: ${JSON.stringify(entry)}\n\n`);
          if (TERMINAL.has(entry.status)) return close();
        }
      }).catch((err: unknown) => {
        request.log.warn({ err: (err as Error).message }, 'an order stream could not read its history');
      });
    };
    const unwatch = feed.watch(order.id, catchUp);
    const poll = setInterval(catchUp, pollMs);
    const heartbeat = setInterval(() => {
      res.write(': keep-alive\n\n');
      renewStreamSlot(db, slot, leaseMs).catch((err: unknown) => request.log.warn({ err: (err as Error).message }, 'an order stream could not renew its slot'));
    }, heartbeatMs);
    request.raw.on('close', close);
    // The client may have gone while the slot was being claimed.
    if (res.destroyed) close();
    catchUp();
  });
}
