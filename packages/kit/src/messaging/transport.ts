/** A message as transports carry it: the CloudEvent as JSON, plus what routing needs. */
export interface TransportMessage {
  /** The event id; brokers deduplicate on it. */
  id: string;
  type: string;
  subject: string;
  /** The service that published it. */
  producer: string;
  /** The CloudEvent envelope, serialized. */
  body: string;
  /** The relay's span, so the consumer's span joins the same trace (a header on the wire). */
  traceparent?: string;
}

/** What a consumer decided about one delivery. */
export type Outcome = 'done' | 'retry';

/** A durable subscription: one per (service, purpose); replicas of a service share it. */
export interface TransportSubscription {
  service: string;
  purpose: string;
  /** The producer of the events and their types. */
  producer: string;
  types: readonly string[];
  /** Deliveries before the consumer dead-letters a message itself. */
  maxDeliveries: number;
  /** Handles one delivery; `attempt` counts from 1. Never throws. */
  handle(message: TransportMessage, attempt: number): Promise<Outcome>;
}

/**
 * Moves events from producers' relays to consumers. Two drivers implement it: in-process
 * (embedded mode) and NATS JetStream (distributed mode).
 */
export interface Transport {
  readonly kind: string;
  /** `messaging.system` on messaging spans (`nats`, `in-process`); `kind` when absent. */
  readonly system?: string;
  /** Where a producer's events of `type` travel (`messaging.destination.name`): the broker's subject; `<producer>.<type>` when absent. */
  destinationOf?(producer: string, type: string): string;
  /** Publishes in order; resolves once the messages are as durable as the transport makes them. */
  publish(messages: readonly TransportMessage[]): Promise<void>;
  subscribe(subscription: TransportSubscription): Promise<void>;
  /** Resolves when the transport can carry messages (the readiness check). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Exponential backoff with full jitter for redeliveries: about 50 ms, 100 ms, 200 ms… at most 5 s. */
export function redeliveryDelay(attempt: number): number {
  const ceiling = Math.min(5_000, 50 * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** The `messaging.system` and `messaging.destination.name` of a producer's events of `type` on `transport`. */
export function messagingTarget(transport: Transport, producer: string, type: string): { system: string; destination: string } {
  return { system: transport.system ?? transport.kind, destination: transport.destinationOf?.(producer, type) ?? `${producer}.${type}` };
}
