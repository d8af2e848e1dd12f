import pg from 'pg';

/**
 * The external invariant checker: it reads every service's own database directly (never the
 * API) and reports, for each invariant of the product (I1–I7, docs/reliability.md), what it
 * checked and every violation it found. It only reads: each database is read in one
 * REPEATABLE READ, READ ONLY transaction, and a database that does not exist is an error,
 * never created.
 */

/** The product's invariants (product.md, "Invariants"). */
export type InvariantId = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7';

/** One thing found wrong: what it is about (an order, a product, `service/event`…) and what is wrong with it. */
export interface Violation {
  id: string;
  detail: string;
}

/** One check of one invariant. */
export interface InvariantReport {
  invariant: InvariantId;
  name: string;
  /** How many things (orders, products, events…) the check looked at. */
  checked: number;
  violations: Violation[];
  /** Counts worth showing beside the verdict (orders by status, dead letters replayed…). */
  counts?: Record<string, number>;
}

/** What to check, and how patient to be with work still in flight. */
export interface CheckOptions {
  /** The PostgreSQL server (DATABASE_URL); its database part is ignored. */
  databaseUrl: string;
  /** DATABASE_PREFIX: each service's database is `<prefix>_<service>`, its schema the service's name. */
  prefix: string;
  /** Orders the API accepted (202), e.g. from a load run: each must exist (I1). */
  orderIds?: readonly string[];
  /** An order not CONFIRMED/SHIPPED/DELIVERED/CANCELLED this long after it was placed is stuck (I1 allows 30 s). */
  stuckAfterSeconds?: number;
  /** Anything newer than this (an unpublished outbox row, an event not yet in an inbox, a change not yet answered) is in flight, not lost. */
  lagSeconds?: number;
  /** EVENTS_RETENTION_HOURS: published outbox rows are deleted after it, inbox records a day later. */
  retentionHours?: number;
}

export const DEFAULTS = { stuckAfterSeconds: 30, lagSeconds: 10, retentionHours: 168 } as const;

/** Every service that owns a database, in the launcher's start order. */
export const SERVICES = ['identity', 'catalog', 'inventory', 'cart', 'payments', 'shipping', 'orders', 'notifications', 'recommendations'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** One subscription: `consumer` handles `type` (published by `producer`) under `purpose`, recorded in its inbox as (event id, purpose). */
export interface Subscription {
  consumer: ServiceName;
  purpose: string;
  producer: ServiceName;
  type: string;
}

const subscribed = (consumer: ServiceName, producer: ServiceName, pairs: ReadonlyArray<readonly [type: string, purpose: string]>): Subscription[] =>
  pairs.map(([type, purpose]) => ({ consumer, purpose, producer, type }));

/**
 * Every subscription of every service, as each service's `setup` declares it (tools/test/checker.test.ts
 * runs every setup and fails when this list and theirs differ). No registry of consumers exists
 * in the contracts, and the checker reads databases only, so it keeps its own.
 */
export const SUBSCRIPTIONS: readonly Subscription[] = [
  ...subscribed('catalog', 'inventory', [['stock.changed', 'show-stock']]),
  ...subscribed('inventory', 'catalog', [['product.created', 'open-stock'], ['product.deleted', 'discontinue-stock']]),
  ...subscribed('inventory', 'orders', [['inventory.reserve', 'reserve-stock'], ['inventory.release', 'release-stock'], ['inventory.commit', 'commit-stock']]),
  ...subscribed('cart', 'catalog', [['product.created', 'record-new-product'], ['product.updated', 'reprice-product'], ['product.deleted', 'retire-product']]),
  ...subscribed('cart', 'orders', [['order.confirmed', 'clear-ordered-items']]),
  ...subscribed('payments', 'orders', [['payment.authorize', 'authorize-payment'], ['payment.capture', 'capture-payment'], ['payment.cancel', 'cancel-payment']]),
  ...subscribed('shipping', 'orders', [['shipment.schedule', 'schedule-shipment'], ['shipment.cancel', 'cancel-shipment']]),
  ...subscribed('orders', 'inventory', ['inventory.reserved', 'inventory.reservation-failed', 'inventory.released', 'inventory.committed'].map((t) => [t, `saga-${t.replaceAll('.', '-')}`] as const)),
  ...subscribed('orders', 'payments', ['payment.authorized', 'payment.declined', 'payment.voided', 'payment.refunded', 'payment.captured'].map((t) => [t, `saga-${t.replaceAll('.', '-')}`] as const)),
  ...subscribed('orders', 'shipping', ['shipment.scheduled', 'shipment.scheduling-failed', 'shipment.cancelled', 'shipment.cancellation-refused'].map((t) => [t, `saga-${t.replaceAll('.', '-')}`] as const)),
  ...subscribed('orders', 'catalog', [['product.created', 'price-new-products'], ['product.updated', 'reprice-products'], ['product.deleted', 'stop-selling-products']]),
  ...subscribed('orders', 'shipping', [['shipment.dispatched', 'follow-dispatch'], ['shipment.delivered', 'follow-delivery']]),
  ...subscribed('orders', 'orders', ['order.placed', 'order.confirmed', 'order.cancelled', 'order.shipped', 'order.delivered', 'order.cancellation-refused'].map((t) => [t, `history-${t.replaceAll('.', '-')}`] as const)),
  ...subscribed('notifications', 'identity', [['user.registered', 'send-welcome']]),
  ...subscribed('notifications', 'orders', [['order.confirmed', 'send-order-confirmation'], ['order.cancelled', 'send-order-cancellation'], ['order.shipped', 'send-shipping-notice'], ['order.delivered', 'send-delivery-notice']]),
  ...subscribed('recommendations', 'catalog', [['product.created', 'name-new-product'], ['product.updated', 'rename-product'], ['product.deleted', 'retire-product']]),
  ...subscribed('recommendations', 'orders', [['order.confirmed', 'count-co-purchases']]),
];

const SOLD = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
const TERMINAL = new Set([...SOLD, 'CANCELLED']);
const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
/** The shipment each settled order status goes with (a cancelled order may have none). */
const SHIPMENT_OF: Record<string, string> = { CONFIRMED: 'scheduled', SHIPPED: 'dispatched', DELIVERED: 'delivered', CANCELLED: 'cancelled' };

// ---------------------------------------------------------------------------------------------
// What is read: one snapshot of every database.

interface OrderLine {
  productId: string;
  quantity: number;
  unitPrice?: { amount: number; currency: string };
  lineTotal?: { amount: number; currency: string };
}
interface OrderRow {
  id: string;
  userId: string;
  email: string;
  status: string;
  items: OrderLine[];
  total: number;
  currency: string;
  /** Null for an order placed before shipping was charged (or a schema without the column). */
  shippingAmount: number | null;
  paymentId: string | null;
  shipmentId: string | null;
  /** Seconds since it was placed, and since it last changed. */
  age: number;
  changedAge: number;
}
interface SagaRow {
  orderId: string;
  status: string;
  step: string;
  lastError: string | null;
  changedAge: number;
}
interface KeyRow {
  userId: string;
  key: string;
  orderId: string;
}
interface PaymentRow {
  id: string;
  orderId: string;
  userId: string | null;
  amount: number;
  currency: string;
  status: string;
  providerReference: string | null;
  refundedAmount: number;
  refundedByAdmin: boolean;
  changedAge: number;
}
interface LedgerRow {
  key: string;
  operation: string;
  reference: string;
  amount: number;
  currency: string;
}
interface StockRow {
  productId: string;
  available: number;
  reserved: number;
  sold: number;
  received: number;
  discontinued: boolean;
}
interface ReservationRow {
  orderId: string;
  status: string;
  changedAge: number;
  /** Product → units, over its lines. */
  lines: Map<string, number>;
}
interface ShipmentRow {
  id: string;
  orderId: string;
  userId: string | null;
  status: string;
  changedAge: number;
}
interface NotificationRow {
  id: string;
  userId: string;
  orderId: string | null;
  template: string;
  recipient: string;
}
interface OutboxRow {
  id: string;
  type: string;
  subject: string;
  age: number;
}
interface DeadLetterRow {
  id: string;
  eventId: string;
  purpose: string;
  type: string;
  subject: string;
  reason: string;
  error: string;
  attempts: number;
  replayed: boolean;
}
interface ServiceMessaging {
  outboxRows: number;
  /** Unpublished rows (all of them, with their age). */
  unpublished: OutboxRow[];
  /** Published rows of a type someone subscribes to, created within the retention and published before the lag. */
  published: OutboxRow[];
  /** `purpose event-id` of every inbox record. */
  inbox: Set<string>;
  deadLetters: DeadLetterRow[];
}

/** Everything the checks look at. */
export interface Snapshot {
  users: Set<string>;
  carts: string[];
  catalog: Array<{ id: string; stockAvailable: number }>;
  stock: StockRow[];
  reservations: ReservationRow[];
  orders: OrderRow[];
  sagas: SagaRow[];
  keys: KeyRow[];
  /** order.confirmed events in orders' outbox (kept for good), with the products of each. */
  confirmedEvents: Array<{ id: string; age: number; products: string[] }>;
  payments: PaymentRow[];
  /** Succeeded provider_ledger rows; null when payments has no ledger (a real provider). */
  ledger: LedgerRow[] | null;
  shipments: ShipmentRow[];
  notifications: NotificationRow[];
  coPurchases: Array<{ productId: string; otherId: string; orders: number }>;
  messaging: Record<ServiceName, ServiceMessaging>;
}

const num = (v: unknown): number => Number(v);
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const AGE = (column: string) => `extract(epoch from now() - ${column})::float8`;

/** A read-only session on one service's database, inside one snapshot. */
class ServiceDatabase {
  private constructor(
    readonly service: ServiceName,
    private readonly client: pg.Client,
  ) {}

  static async open(serverUrl: string, prefix: string, service: ServiceName): Promise<ServiceDatabase> {
    const url = new URL(serverUrl);
    url.pathname = `/${prefix}_${service}`;
    const client = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${service}`, connectionTimeoutMillis: 5_000 });
    client.on('error', () => {});
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return new ServiceDatabase(service, client);
  }

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  async hasTable(table: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [this.service, table])).length > 0;
  }

  async hasColumn(table: string, column: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3', [this.service, table, column])).length > 0;
  }

  async close(): Promise<void> {
    await this.client.query('COMMIT').catch(() => {});
    await this.client.end().catch(() => {});
  }
}

/** The databases the checker would read, and which of them are missing. */
export async function missingDatabases(serverUrl: string, prefix: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    const names = SERVICES.map((s) => `${prefix}_${s}`);
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    const found = new Set(rows.map((r) => r.datname));
    return names.filter((n) => !found.has(n));
  } finally {
    await admin.end();
  }
}

async function readMessaging(db: ServiceDatabase, lag: number, retentionHours: number): Promise<ServiceMessaging> {
  const types = [...new Set(SUBSCRIPTIONS.filter((s) => s.producer === db.service).map((s) => s.type))];
  const purposes = SUBSCRIPTIONS.filter((s) => s.consumer === db.service).map((s) => s.purpose);
  // One query at a time: a client runs its queries in turn anyway.
  const count = await db.rows<{ n: string }>('SELECT count(*) AS n FROM outbox');
  const unpublished = await db.rows<OutboxRow>(`SELECT id, type, subject, ${AGE('created_at')} AS age FROM outbox WHERE published_at IS NULL ORDER BY seq`);
  const published = types.length
    ? await db.rows<OutboxRow>(
        `SELECT id, type, subject, ${AGE('created_at')} AS age FROM outbox
         WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)
           AND created_at >= now() - make_interval(hours => $2) AND type = ANY($3) ORDER BY seq`,
        [lag, retentionHours, types],
      )
    : [];
  const inbox = purposes.length ? await db.rows<{ event_id: string; purpose: string }>('SELECT event_id, purpose FROM inbox') : [];
  const letters = await db.rows<DeadLetterRow>(
    `SELECT id, event_id AS "eventId", purpose, type, subject, reason, error, attempts, replayed_at IS NOT NULL AS replayed
     FROM dead_letters ORDER BY created_at, id`,
  );
  return {
    outboxRows: num(count[0]?.n ?? 0),
    unpublished,
    published,
    inbox: new Set(inbox.map((r) => `${r.purpose} ${r.event_id}`)),
    deadLetters: letters,
  };
}

/** Reads what the checks need from every service's database. */
export async function readSnapshot(opts: CheckOptions): Promise<Snapshot> {
  const lag = opts.lagSeconds ?? DEFAULTS.lagSeconds;
  const retention = opts.retentionHours ?? DEFAULTS.retentionHours;
  const missing = await missingDatabases(opts.databaseUrl, opts.prefix);
  if (missing.length) throw new Error(`no database ${missing.join(', ')} on the server: is the prefix "${opts.prefix}" right?`);
  // Orders first: every other service only ever moves ahead of what orders has recorded.
  const dbs = {} as Record<ServiceName, ServiceDatabase>;
  try {
    for (const service of ['orders', ...SERVICES.filter((s) => s !== 'orders')] as ServiceName[]) dbs[service] = await ServiceDatabase.open(opts.databaseUrl, opts.prefix, service);
    const messaging = {} as Record<ServiceName, ServiceMessaging>;
    await Promise.all(SERVICES.map(async (s) => (messaging[s] = await readMessaging(dbs[s], lag, retention))));
    const [orders, sagas, keys, confirmedEvents] = await readOrders(dbs.orders);
    const [payments, ledger] = await readPayments(dbs.payments);
    const [stock, reservations] = await readInventory(dbs.inventory);
    const [users, carts, catalog, shipments, notifications, coPurchases] = await Promise.all([
      dbs.identity.rows<{ id: string }>('SELECT id FROM users').then((r) => new Set(r.map((u) => u.id))),
      dbs.cart.rows<{ user_id: string }>('SELECT user_id FROM carts').then((r) => r.map((c) => c.user_id)),
      dbs.catalog.rows<{ id: string; stock_available: number }>('SELECT id, stock_available FROM products').then((r) => r.map((p) => ({ id: p.id, stockAvailable: num(p.stock_available) }))),
      dbs.shipping.rows<ShipmentRow>(
        `SELECT id, order_id AS "orderId", user_id AS "userId", status,
                ${AGE('greatest(created_at, dispatched_at, delivered_at, cancelled_at)')} AS "changedAge" FROM shipments`,
      ),
      dbs.notifications.rows<NotificationRow>('SELECT id, user_id AS "userId", order_id AS "orderId", template, recipient FROM notifications'),
      dbs.recommendations.rows<{ product_id: string; other_id: string; orders: number }>('SELECT product_id, other_id, orders FROM co_purchases').then((r) => r.map((c) => ({ productId: c.product_id, otherId: c.other_id, orders: num(c.orders) }))),
    ]);
    return { users, carts, catalog, stock, reservations, orders, sagas, keys, confirmedEvents, payments, ledger, shipments, notifications, coPurchases, messaging };
  } finally {
    await Promise.all(Object.values(dbs).map((db) => db.close()));
  }
}

async function readOrders(db: ServiceDatabase): Promise<[OrderRow[], SagaRow[], KeyRow[], Snapshot['confirmedEvents']]> {
  // The shipping charge came with a later migration: read the schema as it is.
  const shipping = (await db.hasColumn('orders', 'shipping_amount')) ? 'shipping_amount' : 'NULL::bigint';
  const orders = await db.rows<Omit<OrderRow, 'items'> & { items: OrderLine[] | string }>(
    `SELECT id, user_id AS "userId", email, status, items, total_amount AS total, currency, ${shipping} AS "shippingAmount",
            payment_id AS "paymentId", shipment_id AS "shipmentId", ${AGE('created_at')} AS age, ${AGE('updated_at')} AS "changedAge"
     FROM orders`,
  );
  const sagas = await db.rows<SagaRow>(`SELECT order_id AS "orderId", status, step, last_error AS "lastError", ${AGE('updated_at')} AS "changedAge" FROM sagas`);
  const keys = await db.rows<KeyRow>('SELECT user_id AS "userId", key, order_id AS "orderId" FROM idempotency_keys');
  const confirmed = await db.rows<{ id: string; age: number; items: Array<{ productId: string }> | string | null }>(
    `SELECT id, ${AGE('created_at')} AS age, envelope->'data'->'items' AS items FROM outbox WHERE type = 'order.confirmed' ORDER BY seq`,
  );
  return [
    orders.map((o) => ({
      ...o,
      items: json(o.items).map((l) => ({ ...l, productId: l.productId.toLowerCase(), quantity: num(l.quantity) })),
      total: num(o.total),
      shippingAmount: o.shippingAmount === null ? null : num(o.shippingAmount),
    })),
    sagas,
    keys,
    confirmed.map((e) => ({ id: e.id, age: e.age, products: [...new Set((json(e.items) ?? []).map((i) => i.productId.toLowerCase()))] })),
  ];
}

async function readPayments(db: ServiceDatabase): Promise<[PaymentRow[], LedgerRow[] | null]> {
  const payments = await db.rows<PaymentRow>(
    `SELECT id, order_id AS "orderId", user_id AS "userId", amount, currency, status, provider_reference AS "providerReference",
            refunded_amount AS "refundedAmount", coalesce(refunded_by_admin, false) AS "refundedByAdmin", ${AGE('updated_at')} AS "changedAge"
     FROM payments`,
  );
  // The fake provider keeps its side of the world in provider_ledger; a real provider would not.
  const ledger = (await db.hasTable('provider_ledger'))
    ? await db.rows<LedgerRow>('SELECT idempotency_key AS key, operation, reference, amount, currency FROM provider_ledger WHERE succeeded ORDER BY created_at, idempotency_key')
    : null;
  return [
    payments.map((p) => ({ ...p, amount: num(p.amount), refundedAmount: num(p.refundedAmount) })),
    ledger && ledger.map((l) => ({ ...l, amount: num(l.amount) })),
  ];
}

async function readInventory(db: ServiceDatabase): Promise<[StockRow[], ReservationRow[]]> {
  const stock = await db.rows<StockRow>(
    'SELECT product_id AS "productId", available, reserved, sold, received, discontinued_at IS NOT NULL AS discontinued FROM stock',
  );
  const reservations = await db.rows<{ orderId: string; status: string; changedAge: number }>(`SELECT order_id AS "orderId", status, ${AGE('updated_at')} AS "changedAge" FROM reservations`);
  const lines = await db.rows<{ orderId: string; productId: string; quantity: number }>(
    'SELECT order_id AS "orderId", product_id AS "productId", sum(quantity) AS quantity FROM reservation_lines GROUP BY order_id, product_id',
  );
  const byOrder = new Map(reservations.map((r) => [r.orderId, { ...r, lines: new Map<string, number>() }]));
  for (const l of lines) byOrder.get(l.orderId)?.lines.set(l.productId, num(l.quantity));
  return [
    stock.map((s) => ({ ...s, available: num(s.available), reserved: num(s.reserved), sold: num(s.sold), received: num(s.received) })),
    [...byOrder.values()],
  ];
}

// ---------------------------------------------------------------------------------------------
// The checks: pure functions of a snapshot.

interface Limits {
  stuck: number;
  lag: number;
}

const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
const unitsOf = (o: OrderRow): Map<string, number> => {
  const m = new Map<string, number>();
  for (const l of o.items) add(m, l.productId, l.quantity);
  return m;
};
const sameUnits = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const showUnits = (m: ReadonlyMap<string, number>) => [...m].map(([p, n]) => `${n}×${p}`).join(', ') || 'nothing';
const report = (invariant: InvariantId, name: string, checked: number, violations: Violation[], counts?: Record<string, number>): InvariantReport =>
  counts ? { invariant, name, checked, violations, counts } : { invariant, name, checked, violations };

/** I1: every order reaches CONFIRMED or CANCELLED (or further); one still PENDING past the limit is stuck. */
function ordersSettled(s: Snapshot, l: Limits): InvariantReport {
  const counts: Record<string, number> = Object.fromEntries(ORDER_STATUSES.map((st) => [st, 0]));
  const violations: Violation[] = [];
  for (const o of s.orders) {
    counts[o.status] = (counts[o.status] ?? 0) + 1;
    if (!TERMINAL.has(o.status) && o.age > l.stuck) violations.push({ id: o.id, detail: `${o.status} for ${Math.round(o.age)} s (more than ${l.stuck} s after it was placed)` });
  }
  return report('I1', 'every order settled (none stuck)', s.orders.length, violations, counts);
}

/** I1: the saga of every order finished, and the way its order says: completed for a sale, compensated for a cancellation; never FAILED. */
function sagasFinished(s: Snapshot, l: Limits): InvariantReport {
  const sagas = new Map(s.sagas.map((g) => [g.orderId, g]));
  const counts: Record<string, number> = {};
  const violations: Violation[] = [];
  for (const g of s.sagas) counts[g.status] = (counts[g.status] ?? 0) + 1;
  for (const o of s.orders) {
    const g = sagas.get(o.id);
    if (!g) {
      violations.push({ id: o.id, detail: `${o.status} order without a saga` });
      continue;
    }
    if (g.status === 'FAILED') {
      violations.push({ id: o.id, detail: `saga FAILED at ${g.step}: ${g.lastError ?? 'no error recorded'} (order ${o.status}; an operator must retry or compensate it)` });
      continue;
    }
    // A PENDING order's running saga is the order's own lateness (reported above), not the saga's.
    const expected = SOLD.has(o.status) ? ['COMPLETED'] : o.status === 'CANCELLED' ? ['COMPENSATED'] : ['RUNNING', 'COMPENSATING'];
    if (expected.includes(g.status)) continue;
    // A sold order being cancelled compensates for a while; a reply may still be on its way.
    if (SOLD.has(o.status) && g.status === 'COMPENSATING' && g.changedAge <= l.stuck) continue;
    if (Math.min(g.changedAge, o.changedAge) <= l.lag) continue;
    violations.push({ id: o.id, detail: `order ${o.status} but its saga is ${g.status} at ${g.step}${g.lastError ? ` (${g.lastError})` : ''}` });
  }
  return report('I1', 'every saga completed or compensated', s.orders.length, violations, counts);
}

/** I1: every order the API accepted exists. */
function acceptedOrdersExist(s: Snapshot, accepted: readonly string[]): InvariantReport {
  const known = new Set(s.orders.map((o) => o.id));
  const ids = [...new Set(accepted.map((id) => id.toLowerCase()))];
  const violations = ids.filter((id) => !known.has(id)).map((id) => ({ id, detail: 'accepted by the API (202) but not in the orders database' }));
  return report('I1', 'every accepted order exists', ids.length, violations);
}

/** I1: each settled order's shipment is where its status says (a cancelled order has none, or a cancelled one). */
function shipmentsFollowOrders(s: Snapshot, l: Limits): InvariantReport {
  const byOrder = new Map(s.shipments.map((sh) => [sh.orderId, sh]));
  const violations: Violation[] = [];
  let checked = 0;
  for (const o of s.orders) {
    if (!TERMINAL.has(o.status)) continue;
    checked++;
    const sh = byOrder.get(o.id);
    const expected = SHIPMENT_OF[o.status]!;
    if (sh ? sh.status === expected : o.status === 'CANCELLED') continue;
    if (Math.min(o.changedAge, sh?.changedAge ?? Infinity) <= l.lag) continue;
    violations.push({ id: o.id, detail: `order ${o.status} but ${sh ? `its shipment is ${sh.status}` : 'it has no shipment'} (expected ${expected})` });
  }
  return report('I1', 'every shipment follows its order', checked, violations);
}

/** What the provider's ledger says happened to each authorization. */
interface Movements {
  captures: LedgerRow[];
  captured: number;
  refunded: number;
}

function movementsOf(s: Snapshot): Map<string, Movements> | null {
  if (!s.ledger) return null;
  const byRef = new Map<string, Movements>();
  for (const l of s.ledger) {
    const m = byRef.get(l.reference) ?? { captures: [], captured: 0, refunded: 0 };
    if (l.operation === 'capture') {
      m.captures.push(l);
      m.captured += l.amount;
    }
    if (l.operation === 'refund') m.refunded += l.amount;
    byRef.set(l.reference, m);
  }
  return byRef;
}

/** I2: no authorization is captured twice, and no capture lands on an authorization that no payment holds. */
function capturedOnce(s: Snapshot): InvariantReport {
  const moves = movementsOf(s);
  const violations: Violation[] = [];
  if (!moves) {
    // Without the provider's side, the payments table is all there is: one row per order, by its unique key.
    return report('I2', 'no payment captured twice', s.payments.length, violations, { 'payments (no provider ledger)': s.payments.length });
  }
  const paymentOf = new Map(s.payments.filter((p) => p.providerReference).map((p) => [p.providerReference!, p]));
  for (const [reference, m] of moves) {
    const p = paymentOf.get(reference);
    if (m.captures.length > 1) {
      violations.push({ id: p?.orderId ?? reference, detail: `captured ${m.captures.length} times (${m.captures.map((c) => `${c.amount} ${c.currency} as ${c.key}`).join('; ')}) on ${reference}` });
    } else if (m.captures.length && !p) {
      violations.push({ id: reference, detail: `captured ${m.captured} on an authorization no payment holds (${m.captures[0]!.key})` });
    }
  }
  return report('I2', 'no payment captured twice', moves.size, violations, { authorizations: moves.size, captures: s.ledger!.filter((l) => l.operation === 'capture').length });
}

/**
 * I2: a captured payment exists if and only if the order was sold, for its total; a cancelled
 * order has no net charge and no money held. Every payment belongs to an order.
 */
function chargeMatchesOrder(s: Snapshot, l: Limits): InvariantReport {
  const moves = movementsOf(s);
  const paymentOf = new Map(s.payments.map((p) => [p.orderId, p]));
  const orderIds = new Set(s.orders.map((o) => o.id));
  const violations: Violation[] = [];
  let checked = 0;
  const charged = (p: PaymentRow): { captures: number; captured: number; refunded: number; amount: number | null } => {
    if (moves) {
      const m = (p.providerReference && moves.get(p.providerReference)) || { captures: [], captured: 0, refunded: 0 };
      return { captures: m.captures.length, captured: m.captured, refunded: m.refunded, amount: m.captures[0]?.amount ?? null };
    }
    const captured = p.status === 'captured' || p.status === 'refunded' ? p.amount : 0;
    return { captures: captured ? 1 : 0, captured, refunded: p.refundedAmount, amount: captured || null };
  };
  for (const o of s.orders) {
    if (!TERMINAL.has(o.status)) continue;
    checked++;
    const p = paymentOf.get(o.id);
    // A change still being answered is in flight.
    if (Math.min(o.changedAge, p?.changedAge ?? Infinity) <= l.lag) continue;
    const problems: string[] = [];
    if (SOLD.has(o.status)) {
      if (!p) problems.push('no payment');
      else {
        const c = charged(p);
        if (c.captures === 0) problems.push(`its payment is ${p.status} with nothing captured`);
        else if (c.captures === 1 && (c.amount !== o.total || p.currency !== o.currency)) problems.push(`captured ${c.amount} ${p.currency}, its total is ${o.total} ${o.currency}`);
        // A refund by an admin after the sale stays a refund; anything else but captured is wrong.
        if (p.status !== 'captured' && !(p.status === 'refunded' && p.refundedByAdmin)) problems.push(`its payment is ${p.status}`);
      }
    } else if (p) {
      const c = charged(p);
      if (c.captures <= 1 && c.captured - c.refunded !== 0) problems.push(`net charge ${c.captured - c.refunded} ${p.currency} (captured ${c.captured}, refunded ${c.refunded})`);
      if (p.status === 'pending' || p.status === 'authorized' || p.status === 'captured') problems.push(`its payment is still ${p.status}`);
    }
    if (problems.length) violations.push({ id: o.id, detail: `${o.status}: ${problems.join('; ')}` });
  }
  for (const p of s.payments) {
    if (orderIds.has(p.orderId) || p.changedAge <= l.lag) continue;
    checked++;
    violations.push({ id: p.orderId, detail: `payment ${p.id} (${p.status}, ${p.amount} ${p.currency}) for an order that does not exist` });
  }
  return report('I2', 'captured if and only if sold, for the order total', checked, violations);
}

/** I2: what an order charges is what it sells: each line its quantity times its unit price, the total the lines plus the shipping. */
function totalsAddUp(s: Snapshot): InvariantReport {
  const violations: Violation[] = [];
  for (const o of s.orders) {
    const problems: string[] = [];
    for (const line of o.items) {
      if (line.unitPrice && line.lineTotal && line.unitPrice.amount * line.quantity !== line.lineTotal.amount) {
        problems.push(`line ${line.productId}: ${line.quantity} × ${line.unitPrice.amount} is not ${line.lineTotal.amount}`);
      }
    }
    const lines = o.items.reduce((sum, line) => sum + (line.lineTotal?.amount ?? 0), 0);
    if (lines + (o.shippingAmount ?? 0) !== o.total) problems.push(`total ${o.total} is not its lines ${lines} plus shipping ${o.shippingAmount ?? 0}`);
    if (problems.length) violations.push({ id: o.id, detail: problems.join('; ') });
  }
  return report('I2', 'order totals are lines plus shipping', s.orders.length, violations);
}

/**
 * I3, per product: received = available + reserved + sold, none negative; the units reserved are
 * those of held reservations, the units sold those of committed ones, and those are the units of
 * the sold orders (for products no order in flight holds).
 */
function stockConserved(s: Snapshot): InvariantReport {
  const held = new Map<string, number>();
  const committed = new Map<string, number>();
  for (const r of s.reservations) {
    for (const [p, n] of r.lines) {
      if (r.status === 'held') add(held, p, n);
      if (r.status === 'committed') add(committed, p, n);
    }
  }
  const sold = new Map<string, number>();
  const inFlight = new Set<string>();
  for (const o of s.orders) {
    for (const [p, n] of unitsOf(o)) {
      if (SOLD.has(o.status)) add(sold, p, n);
      if (!TERMINAL.has(o.status)) inFlight.add(p);
    }
  }
  const violations: Violation[] = [];
  for (const st of s.stock) {
    const p = st.productId;
    const problems: string[] = [];
    if (st.received !== st.available + st.reserved + st.sold) problems.push(`received ${st.received} ≠ available ${st.available} + reserved ${st.reserved} + sold ${st.sold}`);
    for (const [name, v] of [['available', st.available], ['reserved', st.reserved], ['sold', st.sold], ['received', st.received]] as const) if (v < 0) problems.push(`${name} is ${v}`);
    if (st.reserved !== (held.get(p) ?? 0)) problems.push(`reserved ${st.reserved} ≠ ${held.get(p) ?? 0} held by reservations`);
    if (st.sold !== (committed.get(p) ?? 0)) problems.push(`sold ${st.sold} ≠ ${committed.get(p) ?? 0} in committed reservations`);
    if (!inFlight.has(p) && st.sold !== (sold.get(p) ?? 0)) problems.push(`sold ${st.sold} ≠ ${sold.get(p) ?? 0} in confirmed, shipped and delivered orders`);
    if (problems.length) violations.push({ id: p, detail: problems.join('; ') });
  }
  const stocked = new Set(s.stock.map((st) => st.productId));
  for (const p of new Set([...held.keys(), ...committed.keys()])) {
    if (!stocked.has(p)) violations.push({ id: p, detail: `${held.get(p) ?? 0} held and ${committed.get(p) ?? 0} committed but no stock row` });
  }
  return report('I3', 'stock conserved per product', s.stock.length, violations);
}

/** I3, per order: a sold order's units are committed, a cancelled one holds none, and nothing is held for an order that is not waiting for it. */
function reservationsMatchOrders(s: Snapshot, l: Limits): InvariantReport {
  const reservationOf = new Map(s.reservations.map((r) => [r.orderId, r]));
  const orderOf = new Map(s.orders.map((o) => [o.id, o]));
  const violations: Violation[] = [];
  let checked = 0;
  for (const o of s.orders) {
    if (!TERMINAL.has(o.status)) continue;
    checked++;
    const r = reservationOf.get(o.id);
    if (Math.min(o.changedAge, r?.changedAge ?? Infinity) <= l.lag) continue;
    if (SOLD.has(o.status)) {
      if (!r || r.status !== 'committed') violations.push({ id: o.id, detail: `${o.status} but its reservation is ${r?.status ?? 'missing'}` });
      else if (!sameUnits(r.lines, unitsOf(o))) violations.push({ id: o.id, detail: `committed ${showUnits(r.lines)} but the order is ${showUnits(unitsOf(o))}` });
    } else if (r && (r.status === 'held' || r.status === 'committed')) {
      violations.push({ id: o.id, detail: `CANCELLED but its reservation is still ${r.status} (${showUnits(r.lines)})` });
    }
  }
  for (const r of s.reservations) {
    if (orderOf.has(r.orderId) || (r.status !== 'held' && r.status !== 'committed') || r.changedAge <= l.lag) continue;
    checked++;
    violations.push({ id: r.orderId, detail: `${r.status} reservation of ${showUnits(r.lines)} for an order that does not exist` });
  }
  return report('I3', 'reservations match their orders', checked, violations);
}

/** I4: one message per order and kind, one welcome per user: a redelivered event sent nothing twice. */
function notifiedOnce(s: Snapshot): InvariantReport {
  const seen = new Map<string, NotificationRow[]>();
  for (const n of s.notifications) {
    const key = n.orderId ? `order ${n.orderId} ${n.template}` : n.template === 'welcome' ? `user ${n.userId} welcome` : undefined;
    if (key) seen.set(key, [...(seen.get(key) ?? []), n]);
  }
  const violations = [...seen].filter(([, list]) => list.length > 1).map(([key, list]) => ({ id: list[0]!.orderId ?? list[0]!.userId, detail: `${list.length} messages for ${key} (${list.map((n) => n.id).join(', ')})` }));
  return report('I4', 'each notification sent once', s.notifications.length, violations);
}

/** I4: every confirmed order counted once in the co-purchases, from orders' own log of order.confirmed. */
function coPurchasesCountedOnce(s: Snapshot, l: Limits): InvariantReport {
  const letters = new Set(s.messaging.recommendations.deadLetters.filter((d) => !d.replayed && d.purpose === 'count-co-purchases').map((d) => d.eventId));
  const inbox = s.messaging.recommendations.inbox;
  const expected = new Map<string, number>();
  const uncertain = new Set<string>();
  for (const e of s.confirmedEvents) {
    const pairs = e.products.flatMap((a) => e.products.filter((b) => b !== a).map((b) => `${a} ${b}`));
    // An event not handled (dead-lettered, or still on its way) is reported elsewhere; its pairs are left out.
    if (letters.has(e.id) || (e.age <= l.lag && !inbox.has(`count-co-purchases ${e.id}`))) {
      for (const p of pairs) uncertain.add(p);
      continue;
    }
    for (const p of pairs) add(expected, p, 1);
  }
  const actual = new Map(s.coPurchases.map((c) => [`${c.productId} ${c.otherId}`, c.orders]));
  const violations: Violation[] = [];
  for (const pair of new Set([...expected.keys(), ...actual.keys()])) {
    if (uncertain.has(pair)) continue;
    const want = expected.get(pair) ?? 0;
    const got = actual.get(pair) ?? 0;
    if (want !== got) violations.push({ id: pair.replace(' ', '→'), detail: `counted ${got} orders, ${want} confirmed orders hold both` });
  }
  return report('I4', 'each confirmed order counted once in co-purchases', new Set([...expected.keys(), ...actual.keys()]).size, violations);
}

/** I5: every outbox row is published (one younger than the lag may still be on its way). */
function outboxesPublished(s: Snapshot, l: Limits): InvariantReport {
  const violations: Violation[] = [];
  const counts: Record<string, number> = {};
  let checked = 0;
  for (const service of SERVICES) {
    const m = s.messaging[service];
    checked += m.outboxRows;
    if (m.unpublished.length) counts[`${service} unpublished`] = m.unpublished.length;
    for (const row of m.unpublished) {
      if (row.age > l.lag) violations.push({ id: `${service}/${row.id}`, detail: `${row.type} (${row.subject}) unpublished for ${Math.round(row.age)} s` });
    }
  }
  return report('I5', 'every outbox row published', checked, violations, counts);
}

/** I5: no dead letter is left open: each is an event received and not handled, shown with its reason and error. */
function deadLettersSettled(s: Snapshot): InvariantReport {
  const violations: Violation[] = [];
  let checked = 0;
  let replayed = 0;
  for (const service of SERVICES) {
    const m = s.messaging[service];
    for (const d of m.deadLetters) {
      checked++;
      if (d.replayed) {
        replayed++;
        continue;
      }
      const handled = m.inbox.has(`${d.purpose} ${d.eventId}`) ? ' (handled since: a harmless repeat)' : '';
      violations.push({ id: `${service}/${d.eventId}`, detail: `${d.purpose} dead-lettered ${d.type} (${d.subject}) after ${d.attempts} attempt(s), ${d.reason}: ${d.error}${handled}` });
    }
  }
  return report('I5', 'no open dead letters', checked, violations, { open: checked - replayed, replayed });
}

/** I5: every event a service subscribes to, once its producer published it, is in that service's inbox or dead letters. */
function eventsDelivered(s: Snapshot): InvariantReport {
  const violations: Violation[] = [];
  let checked = 0;
  const counts: Record<string, number> = {};
  for (const sub of SUBSCRIPTIONS) {
    const consumer = s.messaging[sub.consumer];
    const letters = new Set(consumer.deadLetters.filter((d) => d.purpose === sub.purpose).map((d) => d.eventId));
    let missing = 0;
    for (const e of s.messaging[sub.producer].published) {
      if (e.type !== sub.type) continue;
      checked++;
      if (consumer.inbox.has(`${sub.purpose} ${e.id}`) || letters.has(e.id)) continue;
      missing++;
      violations.push({ id: `${sub.consumer}/${e.id}`, detail: `${sub.consumer} (${sub.purpose}) never received ${e.type} ${e.subject} published by ${sub.producer} ${Math.round(e.age)} s ago` });
    }
    if (missing) counts[`${sub.consumer}/${sub.purpose} missing`] = missing;
  }
  return report('I5', 'every published event received by each subscriber', checked, violations, counts);
}

/** I5: catalog's copy of each product's available stock caught up with inventory's (stock.changed, ordered by version). */
function stockCopiesCaughtUp(s: Snapshot): InvariantReport {
  const stock = new Map(s.stock.map((st) => [st.productId, st]));
  const violations: Violation[] = [];
  let checked = 0;
  for (const p of s.catalog) {
    const st = stock.get(p.id);
    if (!st || st.discontinued) continue;
    checked++;
    if (st.available !== p.stockAvailable) violations.push({ id: p.id, detail: `catalog shows ${p.stockAvailable} available, inventory has ${st.available}` });
  }
  return report('I5', "catalog's stock copies caught up", checked, violations);
}

/** I6: each order was placed under exactly one Idempotency-Key, of its own customer, and each key names an order that exists. */
function idempotencyKeys(s: Snapshot): InvariantReport {
  const orderOf = new Map(s.orders.map((o) => [o.id, o]));
  const keysOf = new Map<string, KeyRow[]>();
  for (const k of s.keys) keysOf.set(k.orderId, [...(keysOf.get(k.orderId) ?? []), k]);
  const violations: Violation[] = [];
  for (const o of s.orders) {
    const keys = keysOf.get(o.id) ?? [];
    if (keys.length !== 1) violations.push({ id: o.id, detail: keys.length ? `named by ${keys.length} Idempotency-Keys (${keys.map((k) => k.key).join(', ')})` : 'placed without an Idempotency-Key' });
  }
  for (const k of s.keys) {
    const o = orderOf.get(k.orderId);
    if (!o) violations.push({ id: k.orderId, detail: `Idempotency-Key ${k.key} of user ${k.userId} names an order that does not exist` });
    else if (o.userId !== k.userId) violations.push({ id: k.orderId, detail: `Idempotency-Key ${k.key} of user ${k.userId} names an order of user ${o.userId}` });
  }
  return report('I6', 'one Idempotency-Key per order, of its customer', s.orders.length + s.keys.length, violations, { keys: s.keys.length });
}

/**
 * I7: what is kept about an order elsewhere is its own customer's: its payment, shipment and
 * messages carry its user; its payment and shipment ids are those of its own; every owner exists.
 */
function ownership(s: Snapshot): InvariantReport {
  const orderOf = new Map(s.orders.map((o) => [o.id, o]));
  const paymentOf = new Map(s.payments.map((p) => [p.orderId, p]));
  const shipmentOf = new Map(s.shipments.map((sh) => [sh.orderId, sh]));
  const violations: Violation[] = [];
  let checked = 0;
  const owner = (kind: string, id: string, orderId: string, userId: string | null) => {
    checked++;
    const o = orderOf.get(orderId);
    if (!o) {
      if (kind !== 'payment') violations.push({ id: orderId, detail: `${kind} ${id} is about an order that does not exist` });
    } else if (userId !== null && userId !== o.userId) {
      violations.push({ id: orderId, detail: `${kind} ${id} belongs to user ${userId}, the order to user ${o.userId}` });
    }
  };
  for (const p of s.payments) owner('payment', p.id, p.orderId, p.userId);
  for (const sh of s.shipments) owner('shipment', sh.id, sh.orderId, sh.userId);
  for (const n of s.notifications) {
    if (n.orderId) {
      owner(`${n.template} message`, n.id, n.orderId, n.userId);
      const o = orderOf.get(n.orderId);
      if (o && o.userId === n.userId && n.recipient !== o.email) violations.push({ id: n.orderId, detail: `${n.template} message ${n.id} went to ${n.recipient}, the order's customer is ${o.email}` });
    }
  }
  for (const o of s.orders) {
    checked++;
    if (!s.users.has(o.userId)) violations.push({ id: o.id, detail: `placed by user ${o.userId}, whom identity does not know` });
    const p = paymentOf.get(o.id);
    if (o.paymentId && p && p.id !== o.paymentId) violations.push({ id: o.id, detail: `names payment ${o.paymentId}, but its payment is ${p.id}` });
    if (o.paymentId && !p) violations.push({ id: o.id, detail: `names payment ${o.paymentId}, which payments does not have` });
    const sh = shipmentOf.get(o.id);
    if (o.shipmentId && sh && sh.id !== o.shipmentId) violations.push({ id: o.id, detail: `names shipment ${o.shipmentId}, but its shipment is ${sh.id}` });
    if (o.shipmentId && !sh) violations.push({ id: o.id, detail: `names shipment ${o.shipmentId}, which shipping does not have` });
  }
  for (const n of s.notifications) {
    checked++;
    if (!s.users.has(n.userId)) violations.push({ id: n.id, detail: `${n.template} message for user ${n.userId}, whom identity does not know` });
  }
  for (const userId of s.carts) {
    checked++;
    if (!s.users.has(userId)) violations.push({ id: userId, detail: 'a cart of a user whom identity does not know' });
  }
  return report('I7', "every order's records are its customer's", checked, violations);
}

/** Runs every check on a snapshot. */
export function checkSnapshot(s: Snapshot, opts: Omit<CheckOptions, 'databaseUrl' | 'prefix'> = {}): InvariantReport[] {
  const l: Limits = { stuck: opts.stuckAfterSeconds ?? DEFAULTS.stuckAfterSeconds, lag: opts.lagSeconds ?? DEFAULTS.lagSeconds };
  return [
    ordersSettled(s, l),
    sagasFinished(s, l),
    acceptedOrdersExist(s, opts.orderIds ?? []),
    shipmentsFollowOrders(s, l),
    capturedOnce(s),
    chargeMatchesOrder(s, l),
    totalsAddUp(s),
    stockConserved(s),
    reservationsMatchOrders(s, l),
    notifiedOnce(s),
    coPurchasesCountedOnce(s, l),
    outboxesPublished(s, l),
    deadLettersSettled(s),
    eventsDelivered(s),
    stockCopiesCaughtUp(s),
    idempotencyKeys(s),
    ownership(s),
  ];
}

/** Reads every service's database and checks every invariant. */
export async function checkDatabases(opts: CheckOptions): Promise<InvariantReport[]> {
  return checkSnapshot(await readSnapshot(opts), opts);
}

/** Whether any check found a violation. */
export function hasViolations(reports: readonly InvariantReport[]): boolean {
  return reports.some((r) => r.violations.length > 0);
}

/** Every violation, one line each: `I2 captured if and only if sold…: <id>: <detail>`. */
export function violationLines(reports: readonly InvariantReport[]): string[] {
  return reports.flatMap((r) => r.violations.map((v) => `${r.invariant} ${r.name}: ${v.id}: ${v.detail}`));
}

/** The reports as a text table: invariant, check, checked, violations, and the first `details` violations of each. */
export function formatReport(reports: readonly InvariantReport[], details = 3): string {
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const rows = reports.map((r) => [r.invariant, r.name, String(r.checked), String(r.violations.length), r.violations.length ? '' : 'ok']);
  const head = ['invariant', 'check', 'checked', 'violations', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  reports.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.counts && Object.keys(r.counts).length) out.push(`      ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const v of r.violations.slice(0, details)) out.push(`      ✗ ${clip(`${v.id}: ${v.detail}`, 160)}`);
    if (r.violations.length > details) out.push(`      … and ${r.violations.length - details} more`);
  });
  const total = reports.reduce((n, r) => n + r.violations.length, 0);
  out.push('', total ? `${total} violation(s) in ${reports.filter((r) => r.violations.length).length} check(s).` : 'Every invariant holds.');
  return out.join('\n');
}

/**
 * The order ids in a file: a JSON array of ids or of `{ id }`, an object with `orders` (or the load
 * generator's load.json, `orders.list[].id`), or plain text with one id a line.
 */
export function parseOrderIds(text: string): string[] {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  }
  const fromList = (list: unknown[]): string[] =>
    list.flatMap((item) => (typeof item === 'string' ? [item] : item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? [(item as { id: string }).id] : []));
  const walk = (v: unknown): string[] => {
    if (Array.isArray(v)) return fromList(v);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('orders' in o) return walk(o.orders);
      if ('list' in o) return walk(o.list);
      if ('orderIds' in o) return walk(o.orderIds);
    }
    throw new Error('expected a list of order ids, or an object with `orders` (load.json: orders.list[].id)');
  };
  const ids = walk(value);
  const bad = ids.filter((id) => !UUID.test(id));
  if (bad.length) throw new Error(`not order ids: ${bad.slice(0, 3).join(', ')}`);
  return ids;
}
