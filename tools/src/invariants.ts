import type { ApiClient } from './api-client.ts';

/** An order as the invariant checks read it. */
interface OrderView {
  id: string;
  userId: string;
  status: string;
  total: { amount: number; currency: string };
  items: Array<{ productId: string; quantity: number; lineTotal: { amount: number } }>;
  /** Null for an order placed before shipping was charged. */
  shipping: { price: { amount: number } } | null;
}
interface PaymentView {
  status: string;
  amount: { amount: number };
  refundedAmount: { amount: number };
}

const TERMINAL = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
const SOLD = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED']);

/** What a check looks at: orders, and products whose every order is among them, with the stock they were given. */
export interface InvariantScope {
  orderIds: readonly string[];
  /** Product id → the stock it received (initial plus restocks). */
  stock?: ReadonlyMap<string, number>;
}

/**
 * Waits until every order in `orderIds` is CONFIRMED or CANCELLED (or further), up to
 * `timeoutMs` (I1 allows 30 s), and returns them. Throws naming those still pending.
 */
export async function waitForOrders(admin: ApiClient, orderIds: readonly string[], timeoutMs = 30_000): Promise<Map<string, OrderView>> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, OrderView>();
  for (;;) {
    for (const id of orderIds) {
      if (seen.has(id) && TERMINAL.has(seen.get(id)!.status)) continue;
      const res = await admin.get<OrderView>(`/api/v1/orders/${id}`);
      if (res.status === 200) seen.set(id, res.body);
    }
    const pending = orderIds.filter((id) => !TERMINAL.has(seen.get(id)?.status ?? ''));
    if (!pending.length) return seen;
    if (Date.now() > deadline) throw new Error(`I1: ${pending.length} order(s) not CONFIRMED or CANCELLED within ${timeoutMs / 1000} s: ${pending.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Checks the invariants of product.md through the public API, as an admin, once the orders
 * are terminal: I1 (terminal), I2 (a captured payment if and only if confirmed, of the order's
 * total, which is its lines plus its shipping; no net charge on a cancelled order), I3 (for each product: received = available + reserved + sold, none
 * negative, nothing reserved at rest) and I5 (no dead letters, nothing left in any outbox).
 * Returns the violations, each in words; [] when all hold.
 */
export async function checkInvariants(admin: ApiClient, scope: InvariantScope): Promise<string[]> {
  const problems: string[] = [];
  const orders = await waitForOrders(admin, scope.orderIds).catch((err: Error) => {
    problems.push(err.message);
    return new Map<string, OrderView>();
  });

  for (const order of orders.values()) {
    const res = await admin.get<{ data: PaymentView[] }>(`/api/v1/payments?orderId=${order.id}`);
    const payments = res.body.data ?? [];
    const captured = payments.filter((p) => p.status === 'captured');
    const charged = payments.reduce((sum, p) => sum + (p.status === 'captured' || p.status === 'refunded' ? p.amount.amount - p.refundedAmount.amount : 0), 0);
    const held = payments.filter((p) => p.status === 'authorized' || p.status === 'pending');
    // The total charged is the lines plus the shipping: shipping is never left out of it.
    const owed = order.items.reduce((sum, l) => sum + l.lineTotal.amount, 0) + (order.shipping?.price.amount ?? 0);
    if (order.total.amount !== owed) problems.push(`I2: order ${order.id} totals ${order.total.amount}, but its lines and shipping add up to ${owed}`);
    if (SOLD.has(order.status)) {
      if (captured.length !== 1) problems.push(`I2: order ${order.id} is ${order.status} with ${captured.length} captured payments`);
      else if (captured[0]!.amount.amount !== order.total.amount) problems.push(`I2: order ${order.id} captured ${captured[0]!.amount.amount}, its total is ${order.total.amount}`);
    }
    if (order.status === 'CANCELLED') {
      if (charged !== 0) problems.push(`I2: cancelled order ${order.id} has a net charge of ${charged}`);
      if (held.length) problems.push(`I2: cancelled order ${order.id} still has a ${held[0]!.status} payment`);
    }
  }

  for (const [productId, received] of scope.stock ?? []) {
    const res = await admin.get<{ available: number; reserved: number }>(`/api/v1/inventory/${productId}`);
    if (res.status !== 200) {
      problems.push(`I3: the stock of ${productId} cannot be read (${res.status})`);
      continue;
    }
    const sold = [...orders.values()].filter((o) => SOLD.has(o.status)).flatMap((o) => o.items).filter((i) => i.productId === productId).reduce((n, i) => n + i.quantity, 0);
    const { available, reserved } = res.body;
    if (available < 0 || reserved < 0) problems.push(`I3: ${productId} has negative stock (${available} available, ${reserved} reserved)`);
    if (reserved !== 0) problems.push(`I3: ${productId} still has ${reserved} reserved with every order settled`);
    if (available + reserved + sold !== received) problems.push(`I3: ${productId} received ${received} but has ${available} available + ${reserved} reserved + ${sold} sold`);
  }

  problems.push(...(await quiet(admin)));
  return problems;
}

/** I5: every service's outbox drained and no dead letters, waiting up to `timeoutMs` for the relays to catch up. */
export async function quiet(admin: ApiClient, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems: string[] = [];
    const backlog = await admin.get<{ data: Array<{ service: string; unpublished: number }>; unavailable: string[] }>('/api/v1/ops/outbox');
    if (backlog.status !== 200) problems.push(`I5: the outbox backlog cannot be read (${backlog.status})`);
    for (const service of backlog.body.unavailable ?? []) problems.push(`I5: ${service} did not report its outbox`);
    for (const s of backlog.body.data ?? []) if (s.unpublished > 0) problems.push(`I5: ${s.service} has ${s.unpublished} unpublished events`);
    const letters = await admin.get<{ data: Array<{ service: string; type: string; purpose: string; error: string }> }>('/api/v1/ops/dead-letters');
    for (const l of letters.body.data ?? []) problems.push(`I4/I5: ${l.service} dead-lettered ${l.type} (${l.purpose}): ${l.error}`);
    if (!problems.length || Date.now() > deadline) return problems;
    await new Promise((r) => setTimeout(r, 250));
  }
}
