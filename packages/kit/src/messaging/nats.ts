import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../logger.ts';
import { DEFAULT_RETENTION_MS } from './retention.ts';
import { redeliveryDelay, type Transport, type TransportMessage, type TransportSubscription } from './transport.ts';

/** Where the JetStream transport connects, and the namespace that keeps deployments apart. */
export interface NatsTransportOptions {
  url: string;
  /** Prefix of every subject, stream and consumer (`emporium` in production; tests use their own). */
  namespace?: string;
  /** How long the stream remembers message ids to drop a republished duplicate. */
  duplicateWindowMs?: number;
  /** How long a stream keeps a message; 7 days by default, as long as the outbox keeps its row. */
  maxAgeMs?: number;
  /** Messages a consumer handles at once (different subjects only; one subject is handled in order). */
  concurrency?: number;
  log: Logger;
}

const CONSUMER_NOT_FOUND = 10014;
const STREAM_NOT_FOUND = 10059;

/**
 * The distributed mode's transport, on NATS JetStream. Each producing service has a file-backed
 * stream (`<NS>_<PRODUCER>`, subjects `<ns>.<producer>.<type>`); a relay's republished message
 * is dropped by the stream's message-id dedup window, and the consumer's inbox catches what
 * comes later. Each subscription purpose is a durable pull consumer with explicit acks that
 * every replica of the service shares, so an event is handled once per service, not per
 * replica. A failed delivery is nak'ed with a growing delay; the kit dead-letters it after the
 * subscription's last attempt, and JetStream's own cap stands behind that. Streams keep a
 * message for `maxAgeMs`, then drop it, consumed or not.
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats-jetstream';
  readonly system = 'nats';
  private readonly consumers: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly namespace: string;
  private readonly duplicateWindowMs: number;
  private readonly maxAgeMs: number;
  private readonly concurrency: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
    opts: NatsTransportOptions,
  ) {
    this.namespace = opts.namespace ?? 'emporium';
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_RETENTION_MS;
    // JetStream refuses a dedup window longer than the stream keeps messages.
    this.duplicateWindowMs = Math.min(opts.duplicateWindowMs ?? 120_000, this.maxAgeMs);
    this.concurrency = opts.concurrency ?? 16;
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const url = new URL(opts.url);
    const nc = await connect({ servers: `${url.hostname}:${url.port || 4222}`, name: 'emporium', maxReconnectAttempts: -1 });
    return new NatsTransport(nc, jetstream(nc), await jetstreamManager(nc), opts.log, opts);
  }

  /** The stream that holds a producer's events. */
  streamOf(producer: string): string {
    return `${this.namespace}_${producer}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  }

  /** The subject an event travels on. */
  subjectOf(producer: string, type: string): string {
    return `${this.namespace}.${producer}.${type}`;
  }

  destinationOf(producer: string, type: string): string {
    return this.subjectOf(producer, type);
  }

  /**
   * Creates the producer's stream once; producers and consumers both call it, whoever starts
   * first. A stream made before it had a max age (or with another) is given this one.
   */
  private ensureStream(producer: string): Promise<void> {
    let ensured = this.ensured.get(producer);
    if (!ensured) {
      const name = this.streamOf(producer);
      const maxAge = nanos(this.maxAgeMs);
      ensured = this.jsm.streams
        .info(name)
        .then(
          async (info) => {
            if (info.config.max_age === maxAge) return;
            await this.jsm.streams.update(name, { ...info.config, max_age: maxAge, duplicate_window: Math.min(info.config.duplicate_window, maxAge) });
          },
          async (err: unknown) => {
            if (!(err instanceof JetStreamApiError) || err.code !== STREAM_NOT_FOUND) throw err;
            await this.jsm.streams.add({
              name,
              subjects: [`${this.namespace}.${producer}.>`],
              storage: StorageType.File,
              duplicate_window: nanos(this.duplicateWindowMs),
              max_age: maxAge,
            });
          },
        );
      ensured.catch(() => this.ensured.delete(producer));
      this.ensured.set(producer, ensured);
    }
    return ensured;
  }

  async publish(messages: readonly TransportMessage[]): Promise<void> {
    const producers = new Set(messages.map((m) => m.producer));
    for (const producer of producers) await this.ensureStream(producer);
    // Sent back to back on one connection, so the stream stores them in this order; awaited
    // together. If one fails the relay repeats the batch, and the dedup window drops the rest.
    await Promise.all(
      messages.map((m) => {
        const h = natsHeaders();
        if (m.traceparent) h.set('traceparent', m.traceparent);
        h.set('ce-type', m.type);
        h.set('ce-subject', m.subject);
        return this.js.publish(this.subjectOf(m.producer, m.type), m.body, { msgID: m.id, headers: h });
      }),
    );
  }

  async subscribe(sub: TransportSubscription): Promise<void> {
    await this.ensureStream(sub.producer);
    const stream = this.streamOf(sub.producer);
    const durable = `${sub.service}-${sub.purpose}`.replace(/[^A-Za-z0-9_-]/g, '_');
    // One type per subscription: `filter_subject` works on every JetStream server (several
    // subjects need 2.10, newer than Debian 12's).
    if (sub.types.length !== 1) throw new Error(`a JetStream subscription takes one event type, not ${sub.types.length}`);
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.subjectOf(sub.producer, sub.types[0]!),
      ack_wait: nanos(30_000),
      // The kit dead-letters at maxDeliveries and acks; JetStream's cap is only a backstop.
      max_deliver: sub.maxDeliveries + 2,
    };
    try {
      await this.jsm.consumers.info(stream, durable);
      await this.jsm.consumers.update(stream, durable, { filter_subject: config.filter_subject, max_deliver: config.max_deliver, ack_wait: config.ack_wait });
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== CONSUMER_NOT_FOUND) throw err;
      await this.jsm.consumers.add(stream, config).catch((e: unknown) => {
        // A replica created it in the meantime: that is the same consumer.
        if (!(e instanceof JetStreamApiError)) throw e;
      });
    }
    const consumer = await this.js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 64 });
    this.consumers.push(messages);
    this.loops.push(
      (async () => {
        // Each handling is a database transaction: one at a time caps a consumer at a few hundred
        // a second. Different subjects run side by side; one subject's messages stay in order.
        const inFlight = new Set<Promise<void>>();
        const lastOfSubject = new Map<string, Promise<void>>();
        for await (const m of messages) {
          const message: TransportMessage = {
            id: m.headers?.get('Nats-Msg-Id') ?? '',
            type: m.headers?.get('ce-type') ?? m.subject.split('.').slice(2).join('.'),
            subject: m.headers?.get('ce-subject') ?? '',
            producer: sub.producer,
            body: m.string(),
            traceparent: m.headers?.get('traceparent') || undefined,
          };
          const attempt = m.info.deliveryCount;
          const before = lastOfSubject.get(message.subject) ?? Promise.resolve();
          const done: Promise<void> = before
            .then(async () => {
              const outcome = await sub.handle(message, attempt);
              if (outcome === 'done') m.ack();
              else m.nak(redeliveryDelay(attempt));
            })
            // Unacked, it is redelivered after ack_wait; the loop itself must go on.
            .catch((err: unknown) => this.log.error({ err: (err as Error).message, durable }, 'a delivery could not be settled'));
          lastOfSubject.set(message.subject, done);
          inFlight.add(done);
          void done.finally(() => {
            inFlight.delete(done);
            if (lastOfSubject.get(message.subject) === done) lastOfSubject.delete(message.subject);
          });
          if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      })().catch((err: unknown) => this.log.error({ err: (err as Error).message, durable }, 'a JetStream consumer stopped')),
    );
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('the NATS connection is closed');
    await this.nc.flush();
  }

  async close(): Promise<void> {
    for (const messages of this.consumers) await messages.close().catch(() => {});
    await Promise.all(this.loops);
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** Every message the producer's stream still holds, oldest first (for operators and tests). */
  async storedMessages(producer: string): Promise<TransportMessage[]> {
    await this.ensureStream(producer);
    const stream = this.streamOf(producer);
    const { state } = await this.jsm.streams.info(stream);
    const out: TransportMessage[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      // A gap (a message deleted or expired meanwhile) answers null or "no message found".
      const m = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m) continue;
      out.push({
        id: m.header?.get('Nats-Msg-Id') ?? '',
        type: m.header?.get('ce-type') ?? m.subject.split('.').slice(2).join('.'),
        subject: m.header?.get('ce-subject') ?? '',
        producer,
        body: m.string(),
        traceparent: m.header?.get('traceparent') || undefined,
      });
    }
    return out;
  }

  /** Deletes this namespace's stream of `producer` (tests clean up with it). */
  async deleteStream(producer: string): Promise<void> {
    await this.jsm.streams.delete(this.streamOf(producer)).catch(() => {});
    this.ensured.delete(producer);
  }
}
