/** Who sends a request. */
export type Caller = 'anonymous' | 'customer' | 'admin';

/**
 * A value to take from what earlier answers revealed (a real product or order id), chosen
 * when the request is sent: plans are generated up front from the seed, the ids only exist
 * once the platform has made them.
 */
export class PoolRef {
  constructor(
    /** Which pool: `products`, `tracked`, `free`, `orders`, `payments`, `shipments`, `sagas`, `users`, `categories`, `services`, `dead-letters`. */
    readonly pool: string,
    /** Where in the pool, in [0, 1). */
    readonly pick: number,
    /** Used while the pool is empty. */
    readonly fallback: string,
  ) {}
}

/** An order the fuzzer's requests created, for the invariant checks. */
export interface AcceptedOrder {
  id: string;
  owner: Caller;
  /** The request that created it. */
  request: number;
}

/** A POST /orders that was answered 202, kept so later plans can repeat its Idempotency-Key. */
export interface KeyUse {
  caller: Caller;
  key: string;
  body: Buffer | undefined;
  contentType: string | undefined;
  orderId: string;
}

/** Keys in answers that name an id of a known kind. */
const ID_KEYS: Record<string, string> = { productId: 'products', orderId: 'orders', paymentId: 'payments', shipmentId: 'shipments', userId: 'users', sagaId: 'sagas' };
/** The pool a top-level `id` belongs to, by the resource the path names. */
const RESOURCE_POOLS: Record<string, string> = { products: 'products', orders: 'orders', payments: 'payments', shipments: 'shipments', sagas: 'sagas', 'dead-letters': 'dead-letters' };

/** What the fuzzer has learnt from the platform's answers: ids by kind, who owns which order, the keys used. */
export class World {
  private readonly pools = new Map<string, string[]>();
  private readonly members = new Map<string, Set<string>>();
  /** Order id → the user id that owns it, from answers that show both. */
  readonly orderOwners = new Map<string, string>();
  readonly accepted: AcceptedOrder[] = [];
  readonly keys: KeyUse[] = [];
  /** Products whose stock only orders change, with the stock they started with (I3). */
  readonly trackedStock = new Map<string, number>();

  /** Adds `value` to `pool` once. */
  add(pool: string, value: string): void {
    let set = this.members.get(pool);
    if (!set) {
      set = new Set();
      this.members.set(pool, set);
      this.pools.set(pool, []);
    }
    if (set.has(value)) return;
    set.add(value);
    this.pools.get(pool)!.push(value);
  }

  /** The values of `pool` so far. */
  list(pool: string): readonly string[] {
    return this.pools.get(pool) ?? [];
  }

  /** Resolves a reference against the pool as it is now. */
  pick(ref: PoolRef): string {
    const list = this.list(ref.pool);
    return list.length ? list[Math.floor(ref.pick * list.length)]! : ref.fallback;
  }

  /** Replaces every PoolRef inside a JSON-like value. */
  resolve(value: unknown): unknown {
    if (value instanceof PoolRef) return this.pick(value);
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === 'object') {
      // Object.entries + fromEntries keeps an own "__proto__" key as data, as a mutation meant it.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    }
    return value;
  }

  /**
   * Learns from a successful JSON answer to `path` (a template such as `/api/v1/orders/{id}`):
   * the top-level ids of the resource the path names, and every `productId`, `orderId`, ...
   * anywhere inside, with the owners of orders.
   */
  learn(path: string, body: unknown): void {
    const segments = path.split('/').filter(Boolean).slice(2); // drop "api", "v1"
    const resource = segments[0] === 'ops' ? segments[1] : segments[0];
    const pool = resource ? RESOURCE_POOLS[resource] : undefined;
    const top = body && typeof body === 'object' ? ((body as { data?: unknown }).data ?? body) : undefined;
    for (const item of Array.isArray(top) ? top : top ? [top] : []) {
      if (!item || typeof item !== 'object') continue;
      const record = item as Record<string, unknown>;
      if (pool && typeof record.id === 'string') {
        this.add(pool, record.id);
        if (pool === 'products' && !this.trackedStock.has(record.id)) this.add('free', record.id);
        if (pool === 'orders' && typeof record.userId === 'string') this.orderOwners.set(record.id, record.userId);
      }
      if (resource === 'categories' && typeof record.slug === 'string') this.add('categories', record.slug);
      if (resource === 'dead-letters' && typeof record.service === 'string') this.add('services', record.service);
    }
    this.walk(body, 0);
  }

  /** Every id-naming key below `value`, and which user owns the orders it shows. */
  private walk(value: unknown, depth: number): void {
    if (depth > 6 || !value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) this.walk(v, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(record)) {
      const pool = ID_KEYS[key];
      if (pool && typeof v === 'string') {
        this.add(pool, v);
        if (pool === 'products' && !this.trackedStock.has(v)) this.add('free', v);
      } else this.walk(v, depth + 1);
    }
    if (typeof record.orderId === 'string' && typeof record.userId === 'string') this.orderOwners.set(record.orderId, record.userId);
  }
}
