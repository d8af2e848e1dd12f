import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Queryable, Transaction } from '../db/types.ts';
import type { Transport, TransportSubscription } from '../messaging/transport.ts';
import type { Span } from '../telemetry.ts';
import type { ServiceFaults } from './faults.ts';

/**
 * Routes no fault reaches: health, metrics, the API document, the kit's /ops routes, the
 * gateway's /api/v1/ops (the console's API, and the faults API itself) and the web app's files
 * (`/`, `/*`), so that an operator can still open the console under a fault, watch the platform
 * and switch the fault off.
 */
export function faultExempt(route: string): boolean {
  return (
    route.startsWith('/health/') ||
    route === '/metrics' ||
    route === '/openapi.json' ||
    route === '/ops' ||
    route.startsWith('/ops/') ||
    route.startsWith('/api/v1/ops/') ||
    route === '/' ||
    route === '/*'
  );
}

/**
 * The onRequest hook that applies route faults. While no route fault is on, it only reads a
 * field; `spanOf` gives the request's server span.
 */
export function routeFaultsHook(faults: ServiceFaults, spanOf: (request: FastifyRequest) => Span | undefined) {
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (!faults.routesArmed) return done();
    const route = request.routeOptions.url;
    if (!route || faultExempt(route)) return done();
    // The client gives up on a held request by closing the connection.
    const gone = new AbortController();
    const onClose = () => gone.abort();
    reply.raw.once('close', onClose);
    faults.route({ method: request.method, route, path: request.url.split('?')[0]! }, spanOf(request), gone.signal).then(
      () => {
        reply.raw.off('close', onClose);
        done();
      },
      (err: Error) => {
        reply.raw.off('close', onClose);
        done(err);
      },
    );
  };
}

/** A database whose every statement fails with a connection error while the service's database-down fault is on. */
export function faultyDatabase(db: Database, faults: ServiceFaults): Database {
  const wrap = (q: Queryable): Queryable => ({
    query: async (sql, params) => {
      faults.checkDatabase();
      return q.query(sql, params);
    },
    exec: async (sql) => {
      faults.checkDatabase();
      return q.exec(sql);
    },
  });
  return {
    ...db,
    ...wrap(db),
    kind: db.kind,
    schema: db.schema,
    transaction: async (fn) => {
      faults.checkDatabase();
      return db.transaction((tx) => fn({ ...wrap(tx), afterCommit: (cb) => tx.afterCommit(cb) } satisfies Transaction));
    },
    ping: async () => {
      faults.checkDatabase();
      return db.ping();
    },
    holdLock: async (key) => {
      faults.checkDatabase();
      return db.holdLock(key);
    },
    ...(db.listen ? { listen: db.listen.bind(db) } : {}),
    close: () => db.close(),
  };
}

/**
 * A service's view of its transport while the broker-down fault may be on: publishing fails as
 * on a closed connection (the relay retries later, the outbox keeps the events), the readiness
 * check fails, and deliveries wait until the connection is back, as they would in the broker.
 */
export function faultyTransport(transport: Transport, faults: ServiceFaults): Transport {
  return {
    kind: transport.kind,
    ...(transport.system ? { system: transport.system } : {}),
    ...(transport.destinationOf ? { destinationOf: transport.destinationOf.bind(transport) } : {}),
    publish: async (messages) => {
      faults.checkBroker();
      return transport.publish(messages);
    },
    subscribe: (subscription: TransportSubscription) =>
      transport.subscribe({
        ...subscription,
        handle: async (message, attempt) => {
          await faults.whileBrokerDown();
          return subscription.handle(message, attempt);
        },
      }),
    ping: async () => {
      faults.checkBroker();
      return transport.ping();
    },
    close: () => transport.close(),
  };
}
