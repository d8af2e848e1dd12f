/**
 * Tells open status streams that an order's history grew. Within the process the projection
 * announces the order after its commit; across replicas a NOTIFY on `emporium_order_history`
 * (PostgreSQL only) wakes every stream to look again, since NOTIFY here carries no order id.
 */
export class OrderStatusFeed {
  static readonly CHANNEL = 'emporium_order_history';
  private readonly watchers = new Map<string, Set<() => void>>();

  /** Calls `onChange` whenever `orderId` may have changed, until the returned function is called. */
  watch(orderId: string, onChange: () => void): () => void {
    const set = this.watchers.get(orderId) ?? new Set();
    set.add(onChange);
    this.watchers.set(orderId, set);
    return () => {
      set.delete(onChange);
      if (!set.size) this.watchers.delete(orderId);
    };
  }

  /** Announces a change of one order. */
  announce(orderId: string): void {
    for (const fn of this.watchers.get(orderId) ?? []) fn();
  }

  /** Announces that any order may have changed. */
  announceAll(): void {
    for (const set of this.watchers.values()) for (const fn of set) fn();
  }
}
