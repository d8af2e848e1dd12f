import { randomUUID } from 'node:crypto';
import { checkEvent, dataschemaOf, type CloudEvent, type EventData, type EventDefinition } from '@emporium/contracts/events';
import type { DeadLetter } from '@emporium/contracts/ops';

export type { DeadLetter };
import { Background } from '../background.ts';
import type { ServiceFaults } from '../faults/faults.ts';
import type { Database, Transaction } from '../db/types.ts';
import { errors } from '../errors.ts';
import { markTraceIds, type Logger } from '../logger.ts';
import { MESSAGING, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, currentCorrelationId, propagation, trace, withCorrelationId, type Context, type Tracer } from '../telemetry.ts';
import { Relay, type RelayOptions } from './relay.ts';
import { DEFAULT_RETENTION_MS, pruneMessaging, type Pruned } from './retention.ts';
import { messagingTarget, type Outcome, type Transport, type TransportMessage } from './transport.ts';

/**
 * Handles one event inside the transaction that also records it in the inbox. `log` carries the
 * event's trace id and correlation id (and its id, type and the subscription's purpose); lines
 * written through the service's own logger during the handling carry the two ids as well.
 */
export type EventHandler<E extends EventDefinition> = (event: CloudEvent<EventData<E>>, tx: Transaction, log: Logger) => Promise<void>;

/** How a service's messaging behaves: the relay's pace, and how long what it handled is kept. */
export interface MessagingOptions extends RelayOptions {
  /** How long published outbox rows and inbox records are kept (the inbox a day longer); 7 days by default. */
  retentionMs?: number;
  /** How often the retention round runs; hourly by default. */
  retentionRoundMs?: number;
  /** The service's run-time faults: event-latency and event-error apply to each handling. */
  faults?: ServiceFaults;
}

interface Subscription {
  definition: EventDefinition;
  purpose: string;
  handler: EventHandler<EventDefinition>;
  maxDeliveries: number;
}

/**
 * A service's events: `publish` writes to the outbox inside the caller's transaction, the relay
 * sends them on, and `subscribe` handles what others publish, exactly once per purpose thanks
 * to the inbox. Messages that keep failing, or fail their schema, become dead letters. Published
 * rows and inbox records are deleted after the retention, by a round that runs every hour.
 */
export class Messaging {
  readonly relay: Relay;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly kept = new Set<string>();
  private readonly retentionMs: number;
  private readonly background: Background;
  private readonly faults: ServiceFaults | undefined;
  private started = false;

  constructor(
    private readonly service: string,
    private readonly db: Database,
    readonly transport: Transport,
    private readonly log: Logger,
    private readonly tracer: Tracer,
    options: MessagingOptions = {},
  ) {
    this.relay = new Relay(db, transport, service, log, tracer, options);
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.background = new Background(log);
    this.faults = options.faults;
    this.background.add('messaging-retention', options.retentionRoundMs ?? 3_600_000, () => this.prune());
  }

  /**
   * Writes an event to the outbox in `tx`: it is published only if `tx` commits, and the relay
   * is woken as soon as it has. Write the event after the state change it describes.
   */
  async publish<E extends EventDefinition>(tx: Transaction, definition: E, data: EventData<E>, opts: { subject: string }): Promise<CloudEvent<EventData<E>>> {
    if (definition.producer !== this.service) throw new Error(`${this.service} may not publish ${definition.type}: its producer is ${definition.producer}`);
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    const correlationid = currentCorrelationId();
    const event: CloudEvent<EventData<E>> = {
      specversion: '1.0',
      id: randomUUID(),
      source: `/emporium/${this.service}`,
      type: definition.type,
      subject: opts.subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataschema: dataschemaOf(definition),
      data,
      ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
      ...(correlationid ? { correlationid } : {}),
    };
    await tx.query('INSERT INTO outbox (id, type, subject, envelope, kept) VALUES ($1, $2, $3, $4, $5)', [event.id, event.type, event.subject, JSON.stringify(event), this.kept.has(event.type)]);
    tx.afterCommit(() => this.relay.wake());
    return event;
  }

  /** Handles `definition`'s events under a purpose name unique in this service (e.g. 'send-welcome'). */
  subscribe<E extends EventDefinition>(definition: E, purpose: string, handler: EventHandler<E>, opts: { maxDeliveries?: number } = {}): void {
    if (this.started) throw new Error('subscribe before the service starts');
    if (!/^[a-z][a-z0-9-]{0,60}$/.test(purpose)) throw new Error(`purpose "${purpose}" must be lowercase words joined by hyphens`);
    if (this.subscriptions.has(purpose)) throw new Error(`${this.service} already has a subscription named ${purpose}`);
    this.subscriptions.set(purpose, { definition, purpose, handler: handler as EventHandler<EventDefinition>, maxDeliveries: opts.maxDeliveries ?? 5 });
  }

  /**
   * Keeps this service's published events of `definition`'s type in the outbox for good, past
   * the retention: the log a read model is rebuilt from. Declare it before the service starts.
   */
  keep(definition: EventDefinition): void {
    if (this.started) throw new Error('keep events before the service starts');
    if (definition.producer !== this.service) throw new Error(`${this.service} may not keep ${definition.type}: its producer is ${definition.producer}`);
    this.kept.add(definition.type);
  }

  /** One retention round: deletes old published outbox rows (but the kept ones) and old inbox records. */
  async prune(): Promise<Pruned> {
    const pruned = await pruneMessaging(this.db, this.retentionMs);
    if (pruned.outbox || pruned.inbox) this.log.info(pruned, 'messaging retention: old outbox rows and inbox records deleted');
    return pruned;
  }

  /** Registers the subscriptions with the transport and starts the relay and the retention round. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const sub of this.subscriptions.values()) {
      await this.transport.subscribe({
        service: this.service,
        purpose: sub.purpose,
        producer: sub.definition.producer,
        types: [sub.definition.type],
        maxDeliveries: sub.maxDeliveries,
        handle: (message, attempt) => this.consume(sub, message, attempt),
      });
    }
    await this.relay.start();
    this.background.start();
  }

  async stop(): Promise<void> {
    await this.background.stop();
    await this.relay.stop();
  }

  /** What the relay has yet to publish: how many events, and since when the oldest waits (I5: this returns to zero). */
  async outboxBacklog(): Promise<{ unpublished: number; oldestCreatedAt: string | null }> {
    const { rows } = await this.db.query<{ n: string | number; oldest: Date | string | null }>('SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE published_at IS NULL');
    const oldest = rows[0]?.oldest ?? null;
    return { unpublished: Number(rows[0]?.n ?? 0), oldestCreatedAt: oldest === null ? null : new Date(oldest).toISOString() };
  }

  /** How many dead letters have not been replayed. */
  async openDeadLetters(): Promise<number> {
    const { rows } = await this.db.query<{ n: string | number }>('SELECT count(*) AS n FROM dead_letters WHERE replayed_at IS NULL');
    return Number(rows[0]?.n ?? 0);
  }

  /** Dead letters, newest first; by default only those not yet replayed. */
  async deadLetters(opts: { includeReplayed?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
    const { rows } = await this.db.query<DeadLetter>(
      `SELECT id, event_id AS "eventId", purpose, type, subject, reason, error, attempts,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
              to_char(replayed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "replayedAt", envelope
       FROM dead_letters WHERE $1 OR replayed_at IS NULL ORDER BY created_at DESC, id LIMIT $2`,
      [opts.includeReplayed ?? false, opts.limit ?? 100],
    );
    return rows;
  }

  /**
   * Hands a dead letter to its subscription again, once. On success it is marked replayed in
   * the same transaction as the handler's effect; on failure it stays, with the new error.
   */
  async replay(id: string): Promise<{ handled: boolean; error?: string }> {
    const { rows } = await this.db.query<{ purpose: string; envelope: string; attempts: number }>('SELECT purpose, envelope, attempts FROM dead_letters WHERE id = $1 AND replayed_at IS NULL', [id]);
    const letter = rows[0];
    if (!letter) throw errors.NOT_FOUND(`There is no open dead letter ${id}.`);
    const sub = this.subscriptions.get(letter.purpose);
    if (!sub) throw errors.CONFLICT(`No subscription named ${letter.purpose} exists any more.`);
    const event = this.parse(sub, letter.envelope);
    // A replay runs in the operator's request: its lines carry that request's ids.
    const failure =
      typeof event === 'string'
        ? event
        : await this.handle(sub, event, this.eventLog(sub, event.id, event.type, context.active()), (tx) => tx.query('UPDATE dead_letters SET replayed_at = now() WHERE id = $1', [id])).then(
            () => undefined,
            (err: Error) => err.message,
          );
    if (failure === undefined) return { handled: true };
    await this.db.query('UPDATE dead_letters SET error = $2, attempts = attempts + 1 WHERE id = $1', [id, failure]);
    return { handled: false, error: failure };
  }

  /**
   * One delivery: invalid messages are dead-lettered at once; failures are retried, then
   * dead-lettered. It is a consumer span, a child of the relay's publish, and runs in a context
   * that carries the event's correlation id (so events the handler publishes keep it).
   */
  private async consume(sub: Subscription, message: TransportMessage, attempt: number): Promise<Outcome> {
    const event = this.parse(sub, message.body);
    const valid = typeof event === 'string' ? undefined : event;
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: message.traceparent ?? valid?.traceparent ?? '' });
    // The request's correlation id travels in the envelope; an event published outside any
    // request is correlated by its own id.
    const correlationId = valid?.correlationid ?? valid?.id ?? message.id;
    const { system, destination } = messagingTarget(this.transport, message.producer, message.type);
    const span = this.tracer.startSpan(`process ${destination}`, {
      kind: SpanKind.CONSUMER,
      attributes: {
        [MESSAGING.SYSTEM]: system,
        [MESSAGING.OPERATION_TYPE]: 'process',
        [MESSAGING.OPERATION_NAME]: 'process',
        [MESSAGING.DESTINATION_NAME]: destination,
        [MESSAGING.MESSAGE_ID]: message.id,
        // The subscription, named as its JetStream durable consumer is.
        [MESSAGING.CONSUMER_GROUP_NAME]: `${this.service}-${sub.purpose}`,
        [MESSAGING.CONVERSATION_ID]: correlationId,
        [MESSAGING.CLOUDEVENTS_TYPE]: message.type,
        [MESSAGING.CLOUDEVENTS_SUBJECT]: message.subject,
        'emporium.attempt': attempt,
      },
    }, parent);
    const ctx = withCorrelationId(trace.setSpan(parent, span), correlationId);
    const log = this.eventLog(sub, message.id, message.type, ctx);
    return context.with(ctx, async (): Promise<Outcome> => {
      try {
        if (!valid) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: `invalid: ${event as string}` });
          await this.deadLetter(sub, message, 'invalid', event as string, attempt, log);
          return 'done';
        }
        // A fault's failure takes the path of a handler's: retried, then dead-lettered.
        if (this.faults?.eventsArmed) await this.faults.event({ eventType: message.type, purpose: sub.purpose }, span);
        await this.handle(sub, valid, log);
        return 'done';
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        if (attempt < sub.maxDeliveries) {
          log.warn({ err: (err as Error).message, attempt }, 'event handler failed; it will be retried');
          return 'retry';
        }
        try {
          await this.deadLetter(sub, message, 'failed', (err as Error).message, attempt, log);
          return 'done';
        } catch (deadLetterErr) {
          log.error({ err: (deadLetterErr as Error).message }, 'could not store a dead letter; the message will be redelivered');
          return 'retry';
        }
      } finally {
        span.end();
      }
    });
  }

  /** The logger of one event's handling: its trace id and correlation id (from `ctx`), the event and the subscription. */
  private eventLog(sub: Subscription, eventId: string, type: string, ctx: Context): Logger {
    const traceId = trace.getSpan(ctx)?.spanContext().traceId;
    const correlationId = currentCorrelationId(ctx) ?? eventId;
    const child = this.log.child({ ...(traceId ? { traceId } : {}), correlationId, eventId, type, purpose: sub.purpose });
    return traceId ? markTraceIds(child) : child;
  }

  /** Runs the handler and records the event in the inbox, in one transaction; a repeat does nothing. */
  private async handle(sub: Subscription, event: CloudEvent, log: Logger, also?: (tx: Transaction) => Promise<unknown>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rowCount } = await tx.query('INSERT INTO inbox (event_id, purpose) VALUES ($1, $2) ON CONFLICT DO NOTHING', [event.id, sub.purpose]);
      if (rowCount === 1) await sub.handler(event as CloudEvent<EventData<EventDefinition>>, tx, log);
      if (also) await also(tx);
    });
  }

  /** The event, or a description of why it cannot be handled. */
  private parse(sub: Subscription, body: string): CloudEvent | string {
    let envelope: unknown;
    try {
      envelope = JSON.parse(body);
    } catch {
      return 'the message is not JSON';
    }
    const problems = checkEvent(sub.definition, envelope);
    return problems.length ? problems.join('; ') : (envelope as CloudEvent);
  }

  private async deadLetter(sub: Subscription, message: TransportMessage, reason: 'failed' | 'invalid', error: string, attempts: number, log: Logger): Promise<void> {
    await this.db.query(
      `INSERT INTO dead_letters (id, event_id, purpose, type, subject, envelope, reason, error, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (event_id, purpose) DO UPDATE
       SET envelope = EXCLUDED.envelope, reason = EXCLUDED.reason, error = EXCLUDED.error,
           attempts = dead_letters.attempts + EXCLUDED.attempts, replayed_at = NULL`,
      [randomUUID(), message.id, sub.purpose, message.type, message.subject, message.body, reason, error.slice(0, 2000), attempts],
    );
    log.error({ reason, error, attempts }, 'event dead-lettered');
  }
}
