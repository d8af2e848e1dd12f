import { bearer, requireUser, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { OrderParams } from '@emporium/contracts/orders';
import { historyOf } from '../db/history.repository.ts';
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
  /** How often a comment keeps idle proxies from closing the stream. */
  heartbeatMs?: number;
}

const TERMINAL = new Set(['CANCELLED', 'DELIVERED']);

/**
 * `GET /orders/:id/events`: Server-Sent Events, one `status` event per entry of the order's
 * history (the read model), from the first; the stream ends after CANCELLED or DELIVERED.
 */
export async function orderEventsRoutes(app: ServiceApp, { db, verifier, feed, pollMs, heartbeatMs = 15_000 }: OrderEventsOptions): Promise<void> {
  app.get('/orders/:id/events', {
    preHandler: requireUser(verifier),
    schema: {
      tags: ['orders'],
      summary: "The order's status changes as Server-Sent Events (`event: status`, data `{status, at, note}`)",
      security: bearer,
      params: OrderParams,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...problems(400, 401, 404) },
    },
  }, async (request, reply) => {
    const order = await ownOrder(db, request.caller!, request.params.id);
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
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    request.raw.on('close', close);
    catchUp();
  });
}
