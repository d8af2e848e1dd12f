import { redeliveryDelay, type Transport, type TransportMessage, type TransportSubscription } from './transport.ts';

/**
 * The embedded mode's transport: every service in one process. `publish` hands each message to
 * every matching subscription and resolves only when each has handled it (or dead-lettered
 * it), so the relay marks a row published only after its effects are committed. A crash before
 * that leaves the row unpublished, and the inboxes absorb the repeat: durable because the
 * outbox is.
 */
export class InProcessTransport implements Transport {
  readonly kind = 'in-process';
  /** Not a broker: events go from the relay to the handlers in the same process (`<producer>.<type>` as their destination). */
  readonly system = 'in-process';
  private readonly subscriptions = new Map<string, TransportSubscription>();
  private closed = false;

  async publish(messages: readonly TransportMessage[]): Promise<void> {
    if (this.closed) throw new Error('the in-process transport is closed');
    for (const message of messages) {
      const targets = [...this.subscriptions.values()].filter((s) => s.producer === message.producer && s.types.includes(message.type));
      await Promise.all(targets.map((s) => deliver(s, message)));
    }
  }

  async subscribe(subscription: TransportSubscription): Promise<void> {
    // One consumer per (service, purpose), as a JetStream durable would be.
    this.subscriptions.set(`${subscription.service}.${subscription.purpose}`, subscription);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the in-process transport is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

async function deliver(subscription: TransportSubscription, message: TransportMessage): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if ((await subscription.handle(message, attempt)) === 'done') return;
    await new Promise((r) => setTimeout(r, redeliveryDelay(attempt)));
  }
}
