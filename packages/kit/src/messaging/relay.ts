import type { Database, HeldLock } from '../db/types.ts';
import type { Logger } from '../logger.ts';
import { MESSAGING, ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span, type Tracer } from '../telemetry.ts';
import { messagingTarget, type Transport, type TransportMessage } from './transport.ts';

/** How the relay paces itself. */
export interface RelayOptions {
  /** Rows published per round trip. */
  batchSize?: number;
  /** The fallback poll, for rows no wake-up announced (a lost LISTEN connection, a crash). */
  pollMs?: number;
  /** How often a replica without the relay lock asks for it again when it is woken. */
  lockRetryMs?: number;
}

interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  subject: string;
  body: string;
  traceparent: string | null;
  correlationid: string | null;
}

/**
 * Publishes a service's outbox. It is woken right after a commit that wrote an event, so the
 * happy path has no polling delay; a slow poll covers the rest. Only the holder of the
 * service's relay lock publishes, so rows go out once at a time and in commit order (per subject,
 * as long as a transaction writes its event after locking the aggregate). A crash between
 * publishing and marking repeats a batch: the broker's dedup window and the inboxes absorb it.
 *
 * "Only the holder" is a PostgreSQL session lock on a connection of the relay's own: when the
 * holding process dies, the server drops its connection and the lock with it, and a restarted
 * or standby replica takes over at its next wake-up, not after a lease runs out.
 */
export class Relay {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly lockRetryMs: number;
  private running = false;
  private woken = false;
  private signal: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private lock: HeldLock | undefined;
  /** When this replica may next ask for the lock (by this process's clock). */
  private nextLockTry = 0;

  constructor(
    private readonly db: Database,
    private readonly transport: Transport,
    private readonly producer: string,
    private readonly log: Logger,
    private readonly tracer: Tracer,
    opts: RelayOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 200;
    this.pollMs = opts.pollMs ?? 5_000;
    this.lockRetryMs = opts.lockRetryMs ?? 1_000;
  }

  /** Starts the loop and, where the database can, listens for commits made by other replicas. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    this.unlisten = await this.db.listen?.('emporium_outbox', () => this.wake());
  }

  /** Asks for a drain now (called after a commit that wrote events). */
  wake(): void {
    this.woken = true;
    this.signal?.();
  }

  /** Publishes whatever is committed and unpublished now; returns how many rows went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < this.batchSize) return total;
    }
  }

  /** Stops the loop after one last drain, and gives up the lock so another replica takes over at once. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    await this.unlisten?.();
    this.running = false;
    this.signal?.();
    await this.loop;
    this.loop = undefined;
    await this.drain().catch((err: Error) => this.log.warn({ err: err.message }, 'outbox relay: the last drain failed; the rows stay for the next start'));
    await this.lock?.release();
    this.lock = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        await this.drain();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'outbox relay could not publish; it will retry');
      }
      if (!this.running) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.signal = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.signal = undefined;
    }
  }

  /**
   * Whether this replica is the one that publishes. A replica without the lock asks again at most
   * once per `lockRetryMs`: standbys are woken by every commit's NOTIFY.
   */
  private async holdsLock(): Promise<boolean> {
    if (this.lock?.held) return true;
    if (performance.now() < this.nextLockTry) return false;
    this.nextLockTry = performance.now() + this.lockRetryMs;
    await this.lock?.release();
    this.lock = await this.db.holdLock(`emporium.relay.${this.db.schema}`);
    return this.lock !== undefined;
  }

  private async publishBatch(): Promise<number> {
    if (!(await this.holdsLock())) return 0;
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT seq, id, type, subject, envelope::text AS body, envelope->>'traceparent' AS traceparent, envelope->>'correlationid' AS correlationid
       FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [this.batchSize],
    );
    if (rows.length === 0) return 0;
    const spans: Span[] = [];
    const messages: TransportMessage[] = rows.map((row) => {
      // One span per event, a child of the request that wrote it, so the trace runs on through the broker.
      const parent = row.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: row.traceparent }) : ROOT_CONTEXT;
      const { system, destination } = messagingTarget(this.transport, this.producer, row.type);
      const span = this.tracer.startSpan(`publish ${destination}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          [MESSAGING.SYSTEM]: system,
          [MESSAGING.OPERATION_TYPE]: 'send',
          [MESSAGING.OPERATION_NAME]: 'publish',
          [MESSAGING.DESTINATION_NAME]: destination,
          [MESSAGING.MESSAGE_ID]: row.id,
          [MESSAGING.CLOUDEVENTS_TYPE]: row.type,
          [MESSAGING.CLOUDEVENTS_SUBJECT]: row.subject,
          ...(row.correlationid ? { [MESSAGING.CONVERSATION_ID]: row.correlationid } : {}),
        },
      }, parent);
      spans.push(span);
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, span), headers);
      return { id: row.id, type: row.type, subject: row.subject, producer: this.producer, body: row.body, traceparent: headers.traceparent };
    });
    // The spans end once the transport has the messages (in process: once they are handled), so
    // their duration is the publish's and a failure is theirs.
    try {
      await this.transport.publish(messages);
    } catch (err) {
      for (const span of spans) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      }
      throw err;
    } finally {
      for (const span of spans) span.end();
    }
    await this.db.query('UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
    return rows.length;
  }
}
