import { randomUUID } from 'node:crypto';
import type { Database } from '../db/types.ts';
import type { Logger } from '../logger.ts';
import { SpanKind, context, propagation, trace, type Tracer } from '../telemetry.ts';
import type { Transport, TransportMessage } from './transport.ts';

/** How the relay paces itself. */
export interface RelayOptions {
  /** Rows published per round trip. */
  batchSize?: number;
  /** The fallback poll, for rows no wake-up announced (a lost LISTEN connection, a crash). */
  pollMs?: number;
  /** How long the lease lasts without renewal; another replica takes over after it. */
  leaseMs?: number;
}

interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  subject: string;
  body: string;
  traceparent: string | null;
}

/**
 * Publishes a service's outbox. It is woken right after a commit that wrote an event, so the
 * happy path has no polling delay; a slow poll covers the rest. Only the holder of the
 * service's lease publishes, so rows go out once at a time and in commit order (per subject,
 * as long as a transaction writes its event after locking the aggregate). A crash between
 * publishing and marking repeats a batch: the broker's dedup window and the inboxes absorb it.
 */
export class Relay {
  private readonly holder = randomUUID();
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private running = false;
  private woken = false;
  private signal: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  /** Until when (by this process's clock) the lease is certainly still ours. */
  private leaseSafeUntil = 0;

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
    this.leaseMs = opts.leaseMs ?? 15_000;
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

  /** Stops the loop after one last drain, and gives up the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    await this.unlisten?.();
    this.running = false;
    this.signal?.();
    await this.loop;
    this.loop = undefined;
    await this.drain().catch((err: Error) => this.log.warn({ err: err.message }, 'outbox relay: the last drain failed; the rows stay for the next start'));
    await this.db.query('DELETE FROM outbox_relay_lease WHERE name = $1 AND holder = $2', ['relay', this.holder]).catch(() => {});
    this.leaseSafeUntil = 0;
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
   * Takes or renews the lease. A renewal is a write, so it is made only once half the lease has
   * passed: under load the relay runs many rounds a second.
   */
  private async holdsLease(): Promise<boolean> {
    if (performance.now() < this.leaseSafeUntil) return true;
    const askedAt = performance.now();
    const { rowCount } = await this.db.query(
      `INSERT INTO outbox_relay_lease (name, holder, expires_at) VALUES ('relay', $1, now() + make_interval(secs => $2))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE outbox_relay_lease.holder = EXCLUDED.holder OR outbox_relay_lease.expires_at < now()`,
      [this.holder, this.leaseMs / 1000],
    );
    this.leaseSafeUntil = rowCount === 1 ? askedAt + this.leaseMs / 2 : 0;
    return rowCount === 1;
  }

  private async publishBatch(): Promise<number> {
    if (!(await this.holdsLease())) return 0;
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT seq, id, type, subject, envelope::text AS body, envelope->>'traceparent' AS traceparent
       FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [this.batchSize],
    );
    if (rows.length === 0) return 0;
    const messages: TransportMessage[] = rows.map((row) => {
      // One span per event, a child of the request that wrote it, so the trace runs on through the broker.
      const parent = row.traceparent ? propagation.extract(context.active(), { traceparent: row.traceparent }) : context.active();
      const span = this.tracer.startSpan(`publish ${row.type}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination.name': row.type, 'messaging.message.id': row.id } }, parent);
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, span), headers);
      span.end();
      return { id: row.id, type: row.type, subject: row.subject, producer: this.producer, body: row.body, traceparent: headers.traceparent };
    });
    await this.transport.publish(messages);
    await this.db.query('UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
    return rows.length;
  }
}
