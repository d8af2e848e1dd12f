import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CARDS, type CardName, type MixAction, type ResolvedOptions } from './options.ts';
import { operationSignal, pickWeighted, sleep } from './schedule.ts';
import type { Outcome, Recorder } from './stats.ts';

/** The run could not start: the message says why and what to do. */
export class LoadSetupError extends Error {}

/** Thrown inside a session when the run stops taking new requests. */
class StopSession extends Error {}

export const ADDRESS = { name: 'Load Shopper', line1: '1 Benchmark Way', city: 'Springfield', postalCode: '12345', country: 'US' };
/** Order statuses after which the checkout saga is over (SHIPPED and DELIVERED come after CONFIRMED). */
export const FINAL_STATUSES = new Set(['CONFIRMED', 'CANCELLED', 'SHIPPED', 'DELIVERED']);
const SHOPPER_PASSWORD = 'emporium-load-shopper';

/** A product as the list shows it. */
export interface Product {
  id: string;
  name: string;
  available: number;
  category: string;
}

/** What the run knows of the catalog, read once at the start. */
export interface Catalog {
  products: Product[];
  categories: string[];
  /** Words from the product names, to search for. */
  terms: string[];
  /** Pages of 20 in the unfiltered list. */
  pages: number;
}

/** A signed-in shopper. */
export interface Shopper {
  email: string;
  password: string;
  token: string;
  /** When the token expires (Date.now() clock). */
  expiresAt: number;
  /** Sessions using it now. */
  active: number;
}

/** An order a session placed, with what became of it. */
export interface PlacedOrder {
  id: string;
  card: CardName;
  /** The shopper's email. */
  shopper: string;
  /** When POST /orders answered, in ms from the start of the run. */
  placedAtMs: number;
  /** Placed from the cart (no items in the body) rather than with its items named. */
  fromCart: boolean;
  cancelRequested: boolean;
  followed: boolean;
  /** The last status seen; UNKNOWN when it could never be read. */
  status: string;
  /** The reason of a cancelled order, when read. */
  reason: string | null;
  /** Why the last read of its status at the end failed (`http 503`, `network`, `timeout`); null when it was read or not needed. */
  checkError: string | null;
}

/** One HTTP answer: the parsed JSON body when there is one. */
interface Answer<T> {
  status: number;
  body: T;
}

/** Raw, uncounted API calls for setup and the final checks. */
export async function plainCall<T = unknown>(base: string, method: string, path: string, opts: { token?: string; body?: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<Answer<T>> {
  const op = operationSignal(opts.signal ?? new AbortController().signal, opts.timeoutMs);
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: op.signal,
    });
    const text = await res.text();
    let body: unknown = text;
    if (text && /json/.test(res.headers.get('content-type') ?? '')) body = JSON.parse(text);
    return { status: res.status, body: body as T };
  } finally {
    op.dispose();
  }
}

/** When a JWT expires (its `exp`), or in 10 minutes when it cannot be read. */
function tokenExpiry(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp?: number };
    if (typeof payload.exp === 'number') return payload.exp * 1000;
  } catch {
    // fall through
  }
  return Date.now() + 600_000;
}

/**
 * Reads the catalog (up to 1,000 products). An empty one is refused, unless an admin is given:
 * then a few products with plenty of stock are created first.
 */
export async function readCatalog(opts: ResolvedOptions, log: (line: string) => void): Promise<Catalog> {
  const list = async () => {
    const products: Product[] = [];
    let pages = 1;
    let total = 0;
    for (let page = 1; page <= Math.min(pages, 10); page++) {
      let res: Answer<{ data: Array<{ id: string; name: string; stock: { available: number }; category: { slug: string } }>; pagination: { pages: number; total: number } }>;
      try {
        res = await plainCall(opts.url, 'GET', `/api/v1/products?limit=100&page=${page}`, { timeoutMs: opts.timeoutMs });
      } catch (err) {
        throw new LoadSetupError(`cannot reach ${opts.url}/api/v1/products: ${(err as Error).message}. Is the platform running there (npm start)?`);
      }
      if (res.status !== 200) throw new LoadSetupError(`GET ${opts.url}/api/v1/products answered ${res.status}: is ${opts.url} an Emporium gateway?`);
      pages = res.body.pagination.pages;
      total = res.body.pagination.total;
      for (const p of res.body.data) products.push({ id: p.id, name: p.name, available: p.stock.available, category: p.category.slug });
    }
    return { products, total };
  };
  let { products, total } = await list();
  if (total === 0) {
    if (!opts.admin) throw new LoadSetupError(`the catalog at ${opts.url} has no products: seed the catalog first (npm start seeds it), or pass --admin-email and --admin-password to let the load generator create some`);
    await createProducts(opts, log);
    ({ products, total } = await list());
  }
  const categories = [...new Set(products.map((p) => p.category))];
  const terms = [...new Set(products.flatMap((p) => p.name.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 4))];
  if (!products.some((p) => p.available > 0)) log(`Warning: no product at ${opts.url} has stock: every order will be cancelled "out of stock".`);
  return { products, categories, terms: terms.length ? terms : ['a'], pages: Math.max(1, Math.ceil(total / 20)) };
}

/** With the admin given: a category and 12 products with 10,000 units each, once inventory and orders know them. */
async function createProducts(opts: ResolvedOptions, log: (line: string) => void): Promise<void> {
  const { url, timeoutMs } = opts;
  const login = await plainCall<{ accessToken: string }>(url, 'POST', '/api/v1/auth/login', { body: opts.admin, timeoutMs });
  if (login.status !== 200) throw new LoadSetupError(`signing in as the admin ${opts.admin!.email} failed (${login.status}); the catalog is empty: seed it first (npm start seeds it)`);
  const token = login.body.accessToken;
  const category = await plainCall(url, 'POST', '/api/v1/categories', { token, body: { slug: 'load-test', name: 'Load test' }, timeoutMs });
  if (category.status !== 201 && category.status !== 409) throw new LoadSetupError(`creating the category load-test failed: ${category.status} ${JSON.stringify(category.body)}`);
  const tag = randomUUID().slice(0, 8);
  const ids: string[] = [];
  for (let i = 1; i <= 12; i++) {
    const res = await plainCall<{ id: string }>(url, 'POST', '/api/v1/products', {
      token,
      timeoutMs,
      body: { sku: `LOAD-${tag}-${i}`, name: `Load test item ${i}`, description: 'Made by npm run load for an empty catalog.', price: { amount: 500 + i * 100, currency: 'USD' }, category: 'load-test', initialStock: 10_000 },
    });
    if (res.status !== 201) throw new LoadSetupError(`creating a load-test product failed: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(res.body.id);
  }
  // product.created reaches inventory (stock) and orders (prices) through the broker.
  const deadline = Date.now() + 30_000;
  for (const id of ids) {
    for (;;) {
      const res = await plainCall<{ available: number }>(url, 'GET', `/api/v1/inventory/${id}`, { timeoutMs });
      if (res.status === 200 && res.body.available > 0) break;
      if (Date.now() > deadline) throw new LoadSetupError(`the products created for the load did not reach inventory within 30 s`);
      await sleep(250);
    }
  }
  log(`The catalog was empty: created 12 products in category load-test, 10,000 units each.`);
}

/** Signs a shopper in (or registers it, the first time) without counting the requests. */
async function openShopper(opts: ResolvedOptions, email: string, setup: Recorder, t0: number): Promise<{ shopper: Shopper; registered: boolean }> {
  // A 401 at sign-in is expected the first time: the account does not exist yet.
  const timed = async <T>(action: string, path: string, body: unknown, accept: number[]): Promise<Answer<T>> => {
    const start = performance.now();
    try {
      const res = await plainCall<T>(opts.url, 'POST', path, { body, timeoutMs: opts.timeoutMs });
      setup.record({ action, atMs: performance.now() - t0, latencyMs: performance.now() - start, outcome: accept.includes(res.status) ? 'ok' : `http ${res.status}` });
      return res;
    } catch (err) {
      setup.record({ action, atMs: performance.now() - t0, latencyMs: performance.now() - start, outcome: (err as Error).name === 'TimeoutError' ? 'timeout' : 'network' });
      throw err;
    }
  };
  const login = await timed<{ accessToken: string }>('login', '/api/v1/auth/login', { email, password: SHOPPER_PASSWORD }, [200, 401]);
  if (login.status === 200) return { shopper: { email, password: SHOPPER_PASSWORD, token: login.body.accessToken, expiresAt: tokenExpiry(login.body.accessToken), active: 0 }, registered: false };
  if (login.status !== 401) throw new Error(`signing in as ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  const reg = await timed<{ accessToken: string }>('register', '/api/v1/auth/register', { email, password: SHOPPER_PASSWORD, name: 'Load Shopper' }, [201]);
  if (reg.status === 201) return { shopper: { email, password: SHOPPER_PASSWORD, token: reg.body.accessToken, expiresAt: tokenExpiry(reg.body.accessToken), active: 0 }, registered: true };
  if (reg.status === 429) throw new Error(`registering ${email} was refused with 429 (the platform allows REGISTER_MAX_PER_IP registrations per window): use fewer --shoppers, or wait`);
  throw new Error(`registering ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
}

/**
 * The shoppers the sessions share. The pool's accounts are load-shopper-N@example.com: each is
 * signed in, and registered only when it does not exist yet, so a second run on the same
 * platform registers nobody (registration is throttled per address and costs a scrypt hash).
 */
export class ShopperPool {
  private next = 0;
  constructor(readonly shoppers: Shopper[]) {}

  static async open(opts: ResolvedOptions, setup: Recorder, t0: number, log: (line: string) => void): Promise<{ pool: ShopperPool; registered: number; reused: number }> {
    const emails = Array.from({ length: opts.shoppers }, (_, i) => `load-shopper-${i + 1}@example.com`);
    const shoppers: Shopper[] = [];
    const problems: string[] = [];
    let registered = 0;
    // Two at a time: each costs a scrypt hash, and this machine has two cores.
    let i = 0;
    const worker = async () => {
      while (i < emails.length) {
        const email = emails[i++]!;
        try {
          const opened = await openShopper(opts, email, setup, t0);
          shoppers.push(opened.shopper);
          if (opened.registered) registered++;
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    if (!shoppers.length) throw new LoadSetupError(`no shopper could sign in or register: ${problems[0]}`);
    if (problems.length) log(`Warning: ${problems.length} of ${emails.length} shoppers could not sign in (${problems[0]}); going on with ${shoppers.length}.`);
    shoppers.sort((a, b) => a.email.localeCompare(b.email, 'en', { numeric: true }));
    return { pool: new ShopperPool(shoppers), registered, reused: shoppers.length - registered };
  }

  /** The shopper fewest sessions use now (in turn among equals). */
  acquire(): Shopper {
    let best: Shopper | undefined;
    for (let k = 0; k < this.shoppers.length; k++) {
      const s = this.shoppers[(this.next + k) % this.shoppers.length]!;
      if (!best || s.active < best.active) best = s;
    }
    this.next = (this.next + 1) % this.shoppers.length;
    best!.active++;
    return best!;
  }

  release(s: Shopper): void {
    s.active--;
  }
}

/** What a session needs from the run. */
export interface SessionContext {
  opts: ResolvedOptions;
  recorder: Recorder;
  /** performance.now() at the start of the run. */
  t0: number;
  catalog: Catalog;
  pool: ShopperPool;
  orders: PlacedOrder[];
  /** The owner of each order, for the final checks. */
  owners: Map<string, Shopper>;
  /** Aborted after the grace: requests in flight are cut off, think times end, nothing more is sent. */
  hard: AbortSignal;
  /** Counts a request about to be sent; false when the run takes no more (--max-requests reached, or cut off). */
  admit(): boolean;
  /** Tells registered shoppers apart between runs. */
  runTag: string;
}

/** The probability that a session does each of its stages, from the mix (see docs/load.md). */
export function stageProbabilities(mix: Readonly<Record<MixAction, number>>): { register: number; browse: number; search: number; cart: number; checkout: number; cancel: number; follow: number } {
  const most = Math.max(mix.register, mix.browse, mix.search, mix.cart, mix.checkout);
  return {
    register: mix.register / most,
    browse: mix.browse / most,
    search: mix.search / most,
    cart: mix.cart / most,
    checkout: mix.checkout / most,
    cancel: mix.checkout ? mix.cancel / mix.checkout : 0,
    follow: mix.checkout ? mix.follow / mix.checkout : 0,
  };
}

function classify(err: unknown, timedOut: boolean, hard: AbortSignal): Outcome {
  if (hard.aborted) return 'aborted';
  if (timedOut) return 'timeout';
  return (err as Error)?.name === 'TimeoutError' ? 'timeout' : 'network';
}

/** One timed request of a session; null when it failed (recorded as such). */
async function request<T>(ctx: SessionContext, action: string, method: string, path: string, token: string | undefined, body?: unknown, opts: { headers?: Record<string, string>; accept?: number[] } = {}): Promise<Answer<T> | null> {
  if (!ctx.admit()) throw new StopSession();
  const op = operationSignal(ctx.hard, ctx.opts.timeoutMs);
  const start = performance.now();
  let outcome: Outcome;
  let answer: Answer<T> | null = null;
  try {
    const res = await fetch(`${ctx.opts.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: op.signal,
    });
    const text = await res.text();
    let parsed: unknown = text;
    if (text && /json/.test(res.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    outcome = (opts.accept ?? [200]).includes(res.status) ? 'ok' : `http ${res.status}`;
    if (outcome === 'ok') answer = { status: res.status, body: parsed as T };
  } catch (err) {
    outcome = classify(err, op.timedOut(), ctx.hard);
  } finally {
    op.dispose();
  }
  const end = performance.now();
  ctx.recorder.record({ action, atMs: end - ctx.t0, latencyMs: end - start, outcome });
  return answer;
}

/** The shopper's token, signing in again (a counted `login`) when it expires within a minute. */
async function fresh(ctx: SessionContext, shopper: Shopper): Promise<string> {
  if (shopper.expiresAt - Date.now() > 60_000) return shopper.token;
  const res = await request<{ accessToken: string }>(ctx, 'login', 'POST', '/api/v1/auth/login', undefined, { email: shopper.email, password: shopper.password });
  if (res) {
    shopper.token = res.body.accessToken;
    shopper.expiresAt = tokenExpiry(shopper.token);
  }
  return shopper.token;
}

type ListAnswer = { data: Array<{ id: string; name: string; stock: { available: number }; category: { slug: string } }> };

/**
 * One shopper's visit. Every choice comes from `random` (seeded per session); answers only
 * decide which product is picked among those shown. Returns false when the run stopped it
 * before its end.
 */
export async function runSession(ctx: SessionContext, index: number, random: () => number): Promise<boolean> {
  const p = stageProbabilities(ctx.opts.mix);
  const does = (q: number) => random() < q;
  const plan = {
    register: does(p.register),
    browse: does(p.browse),
    search: does(p.search),
    cart: does(p.cart),
    checkout: does(p.checkout),
    card: pickWeighted(ctx.opts.cards, random),
    after: ((r: number) => (r < p.cancel ? 'cancel' : r < p.cancel + p.follow ? 'follow' : null))(random()),
  };
  const seen: Product[] = [];
  const pick = (list: readonly Product[]): Product | undefined => {
    const inStock = list.filter((x) => x.available > 0);
    const from = inStock.length ? inStock : list;
    return from.length ? from[Math.floor(random() * from.length)] : undefined;
  };
  const remember = (data: ListAnswer['data']) => seen.push(...data.map((x) => ({ id: x.id, name: x.name, available: x.stock.available, category: x.category.slug })));
  const think = async () => {
    if (ctx.opts.thinkMs > 0) await sleep(random() * ctx.opts.thinkMs, ctx.hard);
    if (ctx.hard.aborted) throw new StopSession();
  };

  let shopper = ctx.pool.acquire();
  let pooled = true;
  try {
    if (plan.register) {
      const email = `load-${ctx.runTag}-${index}@example.com`;
      const res = await request<{ accessToken: string }>(ctx, 'register', 'POST', '/api/v1/auth/register', undefined, { email, password: SHOPPER_PASSWORD, name: 'Load Shopper' }, { accept: [201] });
      // A refused registration leaves the session to a pool shopper.
      if (res) {
        ctx.pool.release(shopper);
        pooled = false;
        shopper = { email, password: SHOPPER_PASSWORD, token: res.body.accessToken, expiresAt: tokenExpiry(res.body.accessToken), active: 1 };
      }
      await think();
    }
    const token = await fresh(ctx, shopper);

    if (plan.browse) {
      const page = 1 + Math.floor(random() * Math.min(ctx.catalog.pages, 3));
      const category = random() < 0.5 && ctx.catalog.categories.length ? ctx.catalog.categories[Math.floor(random() * ctx.catalog.categories.length)] : undefined;
      const list = await request<ListAnswer>(ctx, 'browse', 'GET', `/api/v1/products?limit=20${category ? `&category=${encodeURIComponent(category)}` : `&page=${page}`}`, token);
      if (list) remember(list.body.data);
      await think();
      const product = pick(seen) ?? pick(ctx.catalog.products);
      if (product) {
        const shown = await request<ListAnswer['data'][number]>(ctx, 'product', 'GET', `/api/v1/products/${product.id}`, token);
        if (shown) product.available = shown.body.stock.available;
      }
      await think();
    }

    if (plan.search) {
      const term = ctx.catalog.terms[Math.floor(random() * ctx.catalog.terms.length)]!;
      const found = await request<ListAnswer>(ctx, 'search', 'GET', `/api/v1/products?search=${encodeURIComponent(term)}&limit=20`, token);
      if (found) remember(found.body.data);
      await think();
    }

    let chosen: Product | undefined;
    let fromCart = false;
    if (plan.cart) {
      chosen = pick(seen) ?? pick(ctx.catalog.products);
      if (chosen) {
        const cart = await request<{ items: Array<{ productId: string; quantity: number }> }>(ctx, 'cart', 'POST', '/api/v1/cart/items', token, { productId: chosen.id, quantity: 1 });
        // A session that has its shopper to itself keeps the cart tidy (lines left by orders
        // that were declined or never placed) and then checks out from the cart; a shared
        // shopper's cart may hold another session's line, so that session names its items.
        if (cart && shopper.active === 1) {
          let tidy = true;
          for (const line of cart.body.items.slice(0, 10)) {
            if (line.productId === chosen.id && line.quantity === 1) continue;
            const res =
              line.productId === chosen.id
                ? await request(ctx, 'cart', 'PATCH', `/api/v1/cart/items/${line.productId}`, token, { quantity: 1 })
                : await request(ctx, 'cart', 'DELETE', `/api/v1/cart/items/${line.productId}`, token, undefined, { accept: [200, 404] });
            if (!res) tidy = false;
          }
          fromCart = tidy && cart.body.items.length <= 10 && cart.body.items.some((l) => l.productId === chosen!.id);
        }
      }
      await think();
    }

    if (plan.checkout) {
      chosen ??= pick(seen) ?? pick(ctx.catalog.products);
      const body = { ...(fromCart || !chosen ? {} : { items: [{ productId: chosen.id, quantity: 1 }] }), shippingAddress: ADDRESS, payment: { cardNumber: CARDS[plan.card] } };
      const placed = await request<{ id: string; status: string }>(ctx, 'checkout', 'POST', '/api/v1/orders', token, body, { headers: { 'idempotency-key': randomUUID() }, accept: [202] });
      if (placed) {
        const order: PlacedOrder = { id: placed.body.id, card: plan.card, shopper: shopper.email, placedAtMs: Math.round(performance.now() - ctx.t0), fromCart, cancelRequested: false, followed: false, status: placed.body.status, reason: null, checkError: null };
        ctx.orders.push(order);
        ctx.owners.set(order.id, shopper);
        if (plan.after === 'cancel') {
          await think();
          // 409: the saga cancelled it first (a declined card), which is an answer, not an error.
          const res = await request(ctx, 'cancel', 'POST', `/api/v1/orders/${order.id}/cancel`, await fresh(ctx, shopper), { reason: 'changed my mind (load test)' }, { accept: [202, 409] });
          if (res) order.cancelRequested = true;
        } else if (plan.after === 'follow') {
          await follow(ctx, order, await fresh(ctx, shopper));
        }
      }
    }
    return true;
  } catch (err) {
    if (err instanceof StopSession) return false;
    throw err;
  } finally {
    if (pooled) ctx.pool.release(shopper);
  }
}

/**
 * Follows an order's status stream until a final status, the follow timeout, or the end of the
 * run. Its latency is the time from the request to the final status. It goes through node:http
 * rather than fetch: aborting a fetch whose body is an open stream leaves the connection open
 * (Node 20's undici), and with it the stream at the gateway and the shopper's stream slot at
 * orders; destroying the request closes the connection at once.
 */
async function follow(ctx: SessionContext, order: PlacedOrder, token: string): Promise<void> {
  if (!ctx.admit()) throw new StopSession();
  order.followed = true;
  const start = performance.now();
  const outcome = await new Promise<Outcome>((resolve) => {
    const url = new URL(`${ctx.opts.url}/api/v1/orders/${order.id}/events`);
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.hard.removeEventListener('abort', onHard);
      req.destroy();
      resolve(o);
    };
    const onHard = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), ctx.opts.followTimeoutMs);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(`http ${res.statusCode ?? 0}`);
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (!line.startsWith('data:')) continue;
          try {
            const data = JSON.parse(line.slice(5).trim()) as { status?: string; note?: string | null };
            if (data.status) order.status = data.status;
            if (data.status === 'CANCELLED' && data.note) order.reason = data.note;
          } catch {
            continue;
          }
          if (FINAL_STATUSES.has(order.status)) return finish('ok');
        }
      });
      // Ended, or broken, before a final status.
      res.on('end', () => finish('network'));
      res.on('error', () => finish('network'));
    });
    req.on('error', () => finish('network'));
    req.end();
    if (ctx.hard.aborted) onHard();
    else ctx.hard.addEventListener('abort', onHard, { once: true });
  });
  const end = performance.now();
  ctx.recorder.record({ action: 'follow', atMs: end - ctx.t0, latencyMs: end - start, outcome });
}

/**
 * Reads every order not known to be final, as its owner, until all are final or `settleMs`
 * has passed (or `signal` aborts). These reads are not counted as load.
 */
export async function settleOrders(ctx: Pick<SessionContext, 'opts' | 'orders' | 'owners'>, settleMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + settleMs;
  // An order whose cancel was accepted is only final once CANCELLED (the compensation may still run).
  const unsettled = () => ctx.orders.filter((o) => (o.cancelRequested ? o.status !== 'CANCELLED' && o.status !== 'SHIPPED' && o.status !== 'DELIVERED' : !FINAL_STATUSES.has(o.status)));
  for (;;) {
    const pending = unsettled();
    for (let i = 0; i < pending.length; i += 4) {
      await Promise.all(pending.slice(i, i + 4).map(async (order) => {
        const owner = ctx.owners.get(order.id);
        if (!owner || signal?.aborted) return;
        try {
          if (owner.expiresAt - Date.now() < 60_000) {
            const login = await plainCall<{ accessToken: string }>(ctx.opts.url, 'POST', '/api/v1/auth/login', { body: { email: owner.email, password: owner.password }, timeoutMs: ctx.opts.timeoutMs, signal });
            if (login.status === 200) {
              owner.token = login.body.accessToken;
              owner.expiresAt = tokenExpiry(owner.token);
            }
          }
          const res = await plainCall<{ status: string; cancellationReason: string | null }>(ctx.opts.url, 'GET', `/api/v1/orders/${order.id}`, { token: owner.token, timeoutMs: ctx.opts.timeoutMs, signal });
          if (res.status === 200) {
            order.status = res.body.status;
            order.reason = res.body.cancellationReason;
            order.checkError = null;
          } else order.checkError = `http ${res.status}`;
        } catch (err) {
          // Unread this round; tried again until the deadline.
          order.checkError = signal?.aborted ? 'aborted' : (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
        }
      }));
    }
    if (!unsettled().length || Date.now() >= deadline || signal?.aborted) break;
    await sleep(Math.min(500, deadline - Date.now()), signal);
  }
}
