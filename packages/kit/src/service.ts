import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOperator, TokenVerifier } from './auth.ts';
import { commonSettings, parseSettings, processEnv, secret, setting, type CommonSettings, type Settings, type SettingsSource, type SettingsSpec } from './config.ts';
import { PGliteHost } from './db/pglite.ts';
import { openPostgres, serviceDatabaseName } from './db/postgres.ts';
import { loadMigrations, migrate, pendingMigrations } from './db/migrate.ts';
import type { Database } from './db/types.ts';
import { AppError, errors, problem, type Problem } from './errors.ts';
import { Upstream, type UpstreamOptions } from './http-client.ts';
import { createLogger, logFormat, markTraceIds, type Logger } from './logger.ts';
import { createMetrics, scrapedGauge, sharedRead, type ServiceMetrics } from './metrics.ts';
import {
  context,
  createTracing,
  serviceVersion,
  tracesExporter,
  extractTraceContext,
  SpanKind,
  SpanStatusCode,
  trace,
  traceparentOf,
  tracedDatabase,
  withCorrelationId,
  type Context,
  type Span,
  type Tracer,
} from './telemetry.ts';
import { fieldErrors, validatorCompiler } from './validation.ts';
import { answerClientError, answerExpectation, inAddressList, normalizePath, parseAddressList, refuseWithoutHost, RouteMethods } from './request-edge.ts';
import { InProcessTransport } from './messaging/in-process.ts';
import { Messaging } from './messaging/messaging.ts';
import { opsRoutes } from './messaging/ops.routes.ts';
import { tracesRoutes } from './traces.routes.ts';
import { NatsTransport } from './messaging/nats.ts';
import type { Transport } from './messaging/transport.ts';
import { Background, type BackgroundTask } from './background.ts';
import { ServiceFaults, type FaultsOptions } from './faults/faults.ts';
import { faultyDatabase, faultyTransport, routeFaultsHook } from './faults/hooks.ts';

/** The kit's own tables (outbox, inbox, dead letters), recorded apart from the service's migrations. */
export const KIT_MIGRATIONS = fileURLToPath(new URL('./messaging/migrations/', import.meta.url));

/** The Fastify instance a service registers its routes on, typed for TypeBox schemas. */
export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

/** A readiness check: resolves when healthy, throws with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** What a service's code receives: its settings and the shared machinery. */
export interface ServiceContext<S extends SettingsSpec = SettingsSpec> {
  name: string;
  settings: CommonSettings & BaseSettings & Settings<S>;
  /** The service's own database; absent for services that declare no migrations. */
  db: Database;
  /** Publishing through the outbox and subscribing through the inbox; needs the database. */
  messaging: Messaging;
  log: Logger;
  tracer: Tracer;
  metrics: ServiceMetrics;
  /** Verifies access tokens against the identity service's keys. */
  verifier: TokenVerifier;
  /** The run-time faults of this service (FAULTS_FILE); `enabled` is false without a file. */
  faults: ServiceFaults;
  /** A resilient client for another service, closed with this one. */
  upstream(opts: UpstreamOptions): Upstream;
  /** Adds a check to `/health/ready`. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** Runs `fn` when the service closes, before the database closes. */
  onClose(fn: () => Promise<void> | void): void;
  /**
   * Periodic work that runs from `start()` until close, every `intervalMs` or when woken; one
   * round at a time. It must be safe in several replicas at once.
   */
  background(name: string, intervalMs: number, round: () => Promise<unknown>): BackgroundTask;
}

/** Everything a service declares about itself, in one place. */
export interface ServiceDefinition<S extends SettingsSpec = SettingsSpec> {
  name: string;
  description: string;
  /** The port used when PORT is not set. */
  defaultPort: number;
  /** The service's own settings, beyond the common ones. */
  settings?: S;
  /** The directory of numbered SQL migrations; omit for a service with no database. */
  migrations?: string;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Propagate the trace context through async calls (AsyncLocalStorage); on by default. A
   * service that passes `requestContext(request)` to its calls explicitly may turn it off.
   */
  asyncContext?: boolean;
  /** Registers routes, subscriptions and checks. Runs once, before the service listens. */
  setup(app: ServiceApp, ctx: ServiceContext<S>): Promise<void> | void;
}

/** Declares a service; the identity function exists to type-check the definition. */
export function defineService<S extends SettingsSpec>(def: ServiceDefinition<S>): ServiceDefinition<S> {
  return def;
}

const baseSettings = {
  PORT: setting.port().with(0),
  IDENTITY_URL: setting.url().with('http://127.0.0.1:8101'),
  /** Peers whose X-Forwarded-For is believed: the gateway (or a load balancer in front of it). */
  TRUSTED_PROXIES: setting.addressList().with(parseAddressList('127.0.0.0/8,::1')!),
  /** The bearer token that may read /metrics (Prometheus' scrape token); admins' access tokens may too. */
  /** Apply migrations at start-up (one process, compose); false where they run apart first (a Kubernetes init container). */
  MIGRATE_ON_START: setting.bool().with(true),
  METRICS_TOKEN: secret(setting.custom('at least 16 characters', (s) => (s.length >= 16 ? s : undefined)).optional()),
};
type BaseSettings = Settings<typeof baseSettings>;

/** Every setting a service parses: the common ones, the kit's own, PORT (defaulting to the service's port) and the service's. */
export function serviceSettingsSpec<S extends SettingsSpec>(def: ServiceDefinition<S>) {
  return { ...commonSettings, ...baseSettings, PORT: setting.port().with(def.defaultPort), ...(def.settings ?? ({} as S)) };
}

/** Parses a service's settings (`serviceSettingsSpec`). */
export function parseServiceSettings<S extends SettingsSpec>(def: ServiceDefinition<S>, source: SettingsSource) {
  return parseSettings(serviceSettingsSpec(def), source) as CommonSettings & BaseSettings & Settings<S>;
}

/** A built service: the app (ready for `inject`), its context, and how to listen and stop. */
export interface BuiltService<S extends SettingsSpec = SettingsSpec> {
  app: ServiceApp;
  ctx: ServiceContext<S>;
  /** Starts listening; resolves with the base URL. */
  listen(port?: number): Promise<string>;
  /**
   * Starts the event machinery: subscriptions and the outbox relay. Separate from `listen`, so
   * a process hosting several services subscribes them all before any relay publishes.
   */
  start(): Promise<void>;
  /** Stops accepting, drains in-flight requests, and releases what the service holds. */
  close(): Promise<void>;
}

/** What `buildService` needs from outside: settings and, when the service has one, its database. */
export interface ServiceDeps {
  source: SettingsSource;
  /** The database, migrated by `buildService`. When absent, one is opened from the settings. */
  db?: Database;
  /** Overrides the logger (tests silence it). */
  log?: Logger;
  /** Overrides token verification (tests sign their own tokens; identity trusts its own keys). */
  verifier?: TokenVerifier;
  /**
   * The event transport. By default: JetStream when NATS_URL is set, else an in-process one
   * private to this service (events then reach only subscribers in the same process).
   */
  transport?: Transport;
  /** How injected faults behave: tests replace the crash's process.exit and the dice. */
  faults?: Pick<FaultsOptions, 'exit' | 'random'>;
}

const REQUEST_STATE = Symbol('emporium.request');
interface RequestState {
  span: Span;
  ctx: Context;
}
type Instrumented = FastifyRequest & { [REQUEST_STATE]?: RequestState };

const CORRELATION_ID = /^[\w.:-]{1,128}$/;
const TRACE_ID = Symbol('emporium.trace-id');
type RawWithTrace = import('node:http').IncomingMessage & { [TRACE_ID]?: string };

/** The trace context of a request, for calls that pass it explicitly. */
export function requestContext(request: FastifyRequest): Context {
  return (request as Instrumented)[REQUEST_STATE]?.ctx ?? context.active();
}

/**
 * Builds a request's child logger only when something logs: most requests never do, and a
 * pino child per request measured about 8% of the gateway's CPU. It carries the correlation id
 * and the trace id.
 */
function lazyChildLogger(parent: Logger, bindings: Record<string, unknown>, raw: RawWithTrace): Logger {
  let child: Logger | undefined;
  let traced = false;
  // Fastify may touch the logger before the onRequest hook has started the span: a child made
  // then has no trace id yet, so it is made again once the id is known.
  const real = () => {
    const traceId = raw[TRACE_ID];
    if (!child || (traceId && !traced)) {
      child = parent.child({ ...bindings, ...(traceId ? { traceId } : {}) });
      traced = traceId !== undefined;
      // Its bindings hold both ids: the logger's trace mixin need not add them again.
      if (traced) markTraceIds(child);
    }
    return child;
  };
  return new Proxy(parent, {
    get(_target, key) {
      const logger = real();
      const value = Reflect.get(logger, key, logger) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(logger) : value;
    },
    set(_target, key, value) {
      return Reflect.set(real(), key, value);
    },
  });
}

/**
 * Builds a service from its definition: settings, logs, tracing, metrics, health, problem+json
 * errors, OpenAPI, the database with its migrations, then the service's own routes. Nothing
 * listens until `listen` is called, so tests drive the app with `inject`.
 */
export async function buildService<S extends SettingsSpec>(def: ServiceDefinition<S>, deps: ServiceDeps): Promise<BuiltService<S>> {
  const settings = parseServiceSettings(def, deps.source);
  const log = deps.log ?? createLogger(def.name, settings.LOG_LEVEL, { format: logFormat(settings.LOG_FORMAT, settings.NODE_ENV) });
  const tracing = createTracing(def.name, {
    version: serviceVersion(deps.source, settings.EMPORIUM_VERSION),
    exporter: tracesExporter(settings.OTEL_TRACES_EXPORTER, settings.OTEL_EXPORTER_OTLP_ENDPOINT),
    otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
    asyncContext: def.asyncContext ?? true,
  });
  const metrics = createMetrics(def.name);

  let db: Database | undefined;
  let ownsDb = false;
  if (def.migrations) {
    db = deps.db;
    if (!db) {
      db = await openDatabase(def.name, settings);
      ownsDb = true;
    }
    const database = db;
    await prepareSchema(def, database, settings.MIGRATE_ON_START, log).catch(async (err: unknown) => {
      if (ownsDb) await database.close();
      throw err;
    });
  }
  // Faults come after the migrations, which they never break; no file, no faults and no wrappers.
  const faults = await ServiceFaults.open(def.name, { file: settings.FAULTS_FILE, pollMs: settings.FAULTS_POLL_MS, ...deps.faults }, log, metrics);
  if (db) db = tracedDatabase(faults.enabled ? faultyDatabase(db, faults) : db, tracing.tracer);

  const closers: Array<() => Promise<void> | void> = [() => faults.close()];
  const checks = new Map<string, ReadinessCheck>();
  const ownTransport = !deps.transport && db ? await openTransport(settings, log) : undefined;
  const sharedTransport = deps.transport ?? ownTransport ?? new InProcessTransport();
  // This service's view of it: the broker-down fault breaks one service's connection, not the others'.
  const transport = faults.enabled ? faultyTransport(sharedTransport, faults) : sharedTransport;
  if (ownTransport) closers.push(() => ownTransport.close());
  const messaging = db ? new Messaging(def.name, db, transport, log, tracing.tracer, { pollMs: settings.OUTBOX_POLL_MS, retentionMs: settings.EVENTS_RETENTION_HOURS * 3_600_000, faults: faults.enabled ? faults : undefined }) : undefined;
  if (db) {
    const database = db;
    checks.set('database', () => database.ping());
    checks.set('broker', () => transport.ping());
  }
  if (messaging) {
    // What /ops/outbox and /ops/dead-letters show, as metrics for dashboards and alerts.
    const backlog = sharedRead(() => messaging.outboxBacklog());
    scrapedGauge(metrics, { name: 'messaging_outbox_unpublished', help: 'Events committed to the outbox and not yet published' }, async () => [{ value: (await backlog()).unpublished }]);
    scrapedGauge(metrics, { name: 'messaging_outbox_oldest_unpublished_age_seconds', help: 'Age of the oldest unpublished outbox event; 0 when none waits' }, async () => {
      const oldest = (await backlog()).oldestCreatedAt;
      return [{ value: oldest ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : 0 }];
    });
    scrapedGauge(metrics, { name: 'messaging_dead_letters_open', help: 'Dead letters not yet replayed' }, async () => [{ value: await messaging.openDeadLetters() }]);
  }
  let closing = false;
  const background = new Background(log);

  // X-Forwarded-For is believed only from the proxies the settings name (the gateway, a load
  // balancer), so a client cannot pick its own address, and with it its rate-limit budget.
  const trustProxy = (address: string) => inAddressList(settings.TRUSTED_PROXIES, address);
  const routeMethods = new RouteMethods();
  const app = Fastify({
    loggerInstance: log,
    // Requests are logged by our onResponse hook (debug, or warn on 5xx), with the trace id.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: def.bodyLimit ?? 1024 * 1024,
    trustProxy,
    // Routing and every hook see one form of the path, so `/%61pi/…` cannot slip past a hook
    // that checks `/api/…` and still reach the route.
    rewriteUrl: (req) => normalizePath(req.url ?? '/'),
    clientErrorHandler: answerClientError,
    // Node would answer a missing Host (HTTP/1.1) with a bare 400 of its own; the kit answers it
    // as a problem instead (see refuseWithoutHost).
    http: { requireHostHeader: false },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    childLoggerFactory: (logger, bindings, _opts, raw) => lazyChildLogger(logger as Logger, bindings, raw as RawWithTrace),
    // Errors raised by the router itself (an overlong parameter, broken percent-encoding) are
    // answered like every other error: problem+json with the correlation id.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-correlation-id', request.id);
      // No onRequest hook ran, so this answer gets its own span for its traceparent.
      const span = tracing.tracer.startSpan(`${request.method} unmatched`, { kind: SpanKind.SERVER }, extractTraceContext(request.headers));
      reply.header('traceparent', traceparentOf(span));
      span.end();
      const { problem: p, headers } = toProblem(err, request.id);
      reply.headers(headers);
      sendProblem(reply, p);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ServiceApp;

  app.setValidatorCompiler(validatorCompiler);
  app.addHook('onRequest', refuseWithoutHost);
  // An Expect other than 100-continue: Node's own answer would be a bare 417.
  app.server.on('checkExpectation', answerExpectation);
  // Bodies are JSON: text sent as text/plain is a 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain');
  instrument(app, def.name, tracing.tracer, metrics, log);
  // After instrument's hook, so the request's span exists to carry the fault's event.
  if (faults.enabled) app.addHook('onRequest', routeFaultsHook(faults, (request) => (request as Instrumented)[REQUEST_STATE]?.span));
  app.setErrorHandler(errorHandler);
  // A response sent while closing ends its connection: kept alive, it would hold close() until
  // the client drops it (Fastify advertises a 72 s keep-alive).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routeMethods.allowed(path);
    if (allowed.length) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, errors.METHOD_NOT_ALLOWED(`${path} does not answer ${request.method}; it answers ${allowed.join(', ')}.`).toProblem());
    }
    return sendProblem(reply, problem('NOT_FOUND', 404, 'Not found', `There is nothing at ${request.method} ${path}.`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Emporium ${def.name}`, description: def.description, version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  const ctx: ServiceContext<S> = {
    name: def.name,
    settings,
    get db(): Database {
      if (!db) throw new Error(`${def.name} declares no migrations, so it has no database`);
      return db;
    },
    get messaging(): Messaging {
      if (!messaging) throw new Error(`${def.name} declares no migrations, so it has no outbox or inbox`);
      return messaging;
    },
    log,
    tracer: tracing.tracer,
    metrics,
    faults,
    verifier: deps.verifier ?? new TokenVerifier({ jwks: `${settings.IDENTITY_URL}/.well-known/jwks.json` }),
    upstream(opts) {
      const upstream = new Upstream(opts, tracing.tracer, metrics, faults.enabled ? faults : undefined);
      closers.push(() => upstream.close());
      return upstream;
    },
    addReadinessCheck: (name, check) => void checks.set(name, check),
    onClose: (fn) => void closers.push(fn),
    background: (name, intervalMs, round) => background.add(name, intervalMs, round),
  };

  const hidden = { schema: { hide: true } };
  app.get('/health/live', hidden, async () => ({ status: 'ok', service: def.name }));
  app.get('/health/ready', hidden, async (_request, reply) => {
    if (closing) return sendProblem(reply, { ...errors.NOT_READY('The service is shutting down.').toProblem(), checks: {} });
    const results = await Promise.all(
      [...checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, { status: 'ok' }] as const;
        } catch (err) {
          return [name, { status: 'failing', error: (err as Error).message }] as const;
        }
      }),
    );
    const report = Object.fromEntries(results);
    const failing = results.filter(([, r]) => r.status !== 'ok').map(([n]) => n);
    if (failing.length) return sendProblem(reply, { ...errors.NOT_READY(`Failing: ${failing.join(', ')}.`).toProblem(), checks: report });
    return { status: 'ok', service: def.name, checks: report };
  });
  // Metrics are for operators: the scrape token, or an admin's access token.
  app.get('/metrics', { ...hidden, onRequest: requireOperator(settings.METRICS_TOKEN, ctx.verifier) }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', hidden, async () => app.swagger());

  const release = async () => {
    // A request a fault holds would keep app.close() waiting for its whole hang.
    faults.interrupt();
    await app.close();
    await background.stop();
    // After the last request: its events are committed, and the relay's final round sends them.
    await messaging?.stop();
    for (const fn of closers.reverse()) await fn();
    await tracing.shutdown();
    if (ownsDb) await db?.close();
  };
  try {
    await def.setup(app, ctx);
    await app.register(tracesRoutes, { spans: tracing.spans, verifier: ctx.verifier });
    if (messaging) await app.register(opsRoutes, { messaging, verifier: ctx.verifier });
    await app.ready();
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }

  return {
    app,
    ctx,
    async listen(port = settings.PORT) {
      return app.listen({ port, host: settings.HOST });
    },
    async start() {
      await messaging?.start();
      background.start();
    },
    async close() {
      closing = true;
      await release();
    },
  };
}

/** The transport a service opens for itself: JetStream when NATS_URL is set. */
async function openTransport(settings: CommonSettings, log: Logger): Promise<Transport | undefined> {
  if (!settings.NATS_URL) return undefined;
  return NatsTransport.connect({ url: settings.NATS_URL, namespace: settings.EVENTS_NAMESPACE, log, maxAgeMs: settings.EVENTS_RETENTION_HOURS * 3_600_000 });
}

/**
 * Brings the service's schema (the kit's tables and its own) up to date, or, when migrations run
 * apart from the service (a Kubernetes init container running `main.js migrate`), checks that they
 * did: a replica never serves on a schema older than its code.
 */
async function prepareSchema(def: ServiceDefinition<SettingsSpec>, db: Database, apply: boolean, log: Logger): Promise<void> {
  const sets = [
    { migrations: await loadMigrations(KIT_MIGRATIONS), table: 'kit_migrations' },
    { migrations: await loadMigrations(def.migrations!), table: 'schema_migrations' },
  ];
  if (!apply) {
    const pending = (await Promise.all(sets.map((m) => pendingMigrations(db, m.migrations, m.table)))).flat();
    if (pending.length) throw new Error(`the database lacks ${pending.length} migration(s) and MIGRATE_ON_START is false: run "${def.name} migrate" first`);
    return;
  }
  const applied: number[] = [];
  for (const m of sets) applied.push(...(await migrate(db, m.migrations, m.table)));
  if (applied.length) log.info({ applied }, 'migrations applied');
}

/** Opens the database a service uses when run alone: PostgreSQL when DATABASE_URL is set, else PGlite. */
async function openDatabase(name: string, settings: CommonSettings): Promise<Database> {
  if (settings.DATABASE_URL) {
    return openPostgres({ url: settings.DATABASE_URL, schema: name, database: serviceDatabaseName(name, settings.DATABASE_PREFIX), poolSize: settings.DATABASE_POOL_SIZE });
  }
  const host = await PGliteHost.open(join(settings.DATA_DIR, name));
  const db = await host.database(name);
  return { ...db, close: () => host.close() };
}

function instrument(app: ServiceApp, service: string, tracer: Tracer, metrics: ServiceMetrics, log: Logger): void {
  app.addHook('onRequest', (request: Instrumented, reply, done) => {
    const parent = extractTraceContext(request.headers);
    const span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0]!, 'emporium.service': service },
    }, parent);
    const ctx = withCorrelationId(trace.setSpan(parent, span), request.id);
    request[REQUEST_STATE] = { span, ctx };
    reply.header('x-correlation-id', request.id);
    reply.header('traceparent', traceparentOf(span));
    (request.raw as RawWithTrace)[TRACE_ID] = span.spanContext().traceId;
    done();
  });

  // Handlers run inside the request's trace context, so outgoing calls and queries join its trace.
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const state = (request as Instrumented)[REQUEST_STATE];
      return state ? context.with(state.ctx, () => handler.call(this as FastifyInstance, request, reply)) : handler.call(this as FastifyInstance, request, reply);
    } as typeof handler;
  });

  app.addHook('onResponse', (request: Instrumented, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpDuration.observe({ method: request.method, route, status_code: status }, reply.elapsedTime / 1000);
    const state = request[REQUEST_STATE];
    if (state) {
      state.span.setAttribute('http.response.status_code', status);
      if (request.routeOptions.url) state.span.setAttribute('http.route', route);
      if (status >= 500) state.span.setStatus({ code: SpanStatusCode.ERROR });
      state.span.end();
    }
    if (status >= 500) request.log.warn({ method: request.method, url: request.url, status, ms: reply.elapsedTime }, 'request failed');
    else if (log.isLevelEnabled('debug')) request.log.debug({ method: request.method, url: request.url, status, ms: reply.elapsedTime }, 'request completed');
    done();
  });
}

const FASTIFY_ERRORS: Record<string, (err: FastifyError) => AppError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => errors.MALFORMED_JSON('The body could not be parsed as JSON.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => errors.MALFORMED_JSON('The body is empty, but its content type says JSON.'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => errors.PAYLOAD_TOO_LARGE('The body is larger than this endpoint accepts.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (err) => errors.UNSUPPORTED_MEDIA_TYPE(err.message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => errors.VALIDATION_FAILED('The Content-Length header does not match the body.'),
  FST_ERR_BAD_URL: () => errors.VALIDATION_FAILED('The URL is not validly percent-encoded.'),
};

/** Maps anything thrown to a problem. 5xx details never leak internals. */
export function toProblem(err: unknown, correlationId?: string): { problem: Problem; headers: Record<string, string> } {
  if (err instanceof AppError) return { problem: err.toProblem(), headers: err.headers };
  const e = err as FastifyError;
  if (e.validation) {
    const found = fieldErrors(e.validation as never, e.validationContext);
    return { problem: errors.VALIDATION_FAILED(`The request is not valid: ${found.map((f) => `${f.path} ${f.message}`).join('; ')}.`, { errors: found }).toProblem(), headers: {} };
  }
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return { problem: known(e).toProblem(), headers: {} };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { problem: problem(e.code ?? 'BAD_REQUEST', e.statusCode, 'The request cannot be served', e.message), headers: {} };
  }
  const ref = correlationId ? ` Quote correlation id ${correlationId} when reporting it.` : '';
  return { problem: errors.INTERNAL(`Something went wrong on our side.${ref}`).toProblem(), headers: {} };
}

function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { problem: p, headers } = toProblem(err, request.id);
  if (p.status >= 500) request.log.error({ err }, 'request failed with an error');
  const state = (request as Instrumented)[REQUEST_STATE];
  if (state && p.status >= 500) state.span.recordException(err);
  reply.headers(headers);
  sendProblem(reply, p);
}

/** Sends a problem document with its status, the problem+json content type and the request's correlation id. */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send({ ...p, correlationId: reply.request.id });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Runs one service as its own process: builds it, listens, and stops cleanly on SIGTERM or
 * SIGINT. A bad setting stops the start with a message that names it.
 */
export async function runService<S extends SettingsSpec>(def: ServiceDefinition<S>, source: SettingsSource = processEnv(), argv = process.argv.slice(2)): Promise<void> {
  if (argv[0] === 'migrate') return migrateAndExit(def, source);
  if (argv.length) {
    process.stderr.write(`usage: ${def.name} [migrate]\n  (no argument)  serve\n  migrate        apply the database migrations, then exit\n`);
    process.exit(2);
  }
  let service: BuiltService<S>;
  try {
    service = await buildService(def, { source });
  } catch (err) {
    process.stderr.write(`${def.name} could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const url = await service.listen();
  await service.start();
  service.ctx.log.info({ url }, `${def.name} listening`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.ctx.log.info({ signal }, 'shutting down');
    await service.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** `main.js migrate`: applies the service's migrations and exits, 0 on success (a Kubernetes init container runs it). */
async function migrateAndExit<S extends SettingsSpec>(def: ServiceDefinition<S>, source: SettingsSource): Promise<void> {
  try {
    const settings = parseServiceSettings(def, source);
    const log = createLogger(def.name, settings.LOG_LEVEL, { format: logFormat(settings.LOG_FORMAT, settings.NODE_ENV) });
    if (!def.migrations) {
      log.info('no database: nothing to migrate');
      process.exit(0);
    }
    const db = await openDatabase(def.name, settings);
    try {
      await prepareSchema(def as unknown as ServiceDefinition<SettingsSpec>, db, true, log);
    } finally {
      await db.close();
    }
    log.info('the database is up to date');
    process.exit(0);
  } catch (err) {
    process.stderr.write(`${def.name} could not migrate: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
