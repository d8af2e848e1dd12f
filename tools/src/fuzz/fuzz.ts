import fc from 'fast-check';
import { ApiClient } from '../api-client.ts';
import { checkInvariants, waitForOrders } from '../invariants.ts';
import { DEV_ACCOUNTS } from '../services.ts';
import { encodeRequest, NoAnswer, send, wireHeaders, type WireRequest, type WireResponse } from './http.ts';
import { readOperations, serviceNames, type Operation } from './openapi.ts';
import { judge, jsonBody, type ContractKind, type FailureKind, type Finding } from './oracle.ts';
import { planArbitrary, type BodySpec, type Plan } from './plan.ts';
import { World, type Caller, type KeyUse } from './world.ts';

/** How much to send, from which seed, and within what bounds. */
export interface FuzzOptions {
  /** How many generated requests to send. */
  requests: number;
  /** The fast-check seed: the same seed generates the same requests. */
  seed: number;
  /** Stop sending after this long, whatever the count. */
  timeLimitMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Share (out of ~95) of checkouts with the card that never answers; 0 leaves it out. */
  timeoutCardWeight?: number;
  /** How long one request may wait for its answer. */
  requestTimeoutMs?: number;
  /** Called after each answer. */
  onProgress?: (done: number) => void;
  /** Told when the run moves on from sending to settling and checking. */
  log?: (line: string) => void;
}

/** A request written down so that anyone can send it again. */
export interface Reproducer {
  index: number;
  seed: number;
  caller: Caller;
  op: string;
  kind: Plan['kind'];
  mutation?: string;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  /** The body as text, cut at 2,000 characters. */
  body?: string;
  bodyBytes: number;
  /** The whole request, base64, when under 64 kB: `echo <raw> | base64 -d | nc 127.0.0.1 <port>` sends it again. */
  raw?: string;
  status?: number;
  /** The start of the answer's body. */
  answer?: string;
}

/** A failure (or a contract difference) with the request that caused it. */
export interface Failure<K extends string = FailureKind> extends Finding<K> {
  request: Reproducer;
}

/** A dead letter found after the run, with the request whose correlation id it carries, if any. */
export interface DeadLetterFinding {
  service: string;
  type: string;
  purpose: string;
  error: string;
  subject: string;
  correlationId?: string;
  /** The request that made it: the one its correlation id names, or the one that placed the order it is about. */
  request?: Reproducer;
  /** Whether that request was answered 2xx. */
  accepted?: boolean;
}

/** Everything a run found. */
export interface FuzzReport {
  seed: number;
  /** Requests planned and requests sent (fewer when the time limit cut the run short). */
  planned: number;
  sent: number;
  durationMs: number;
  /** The ten slowest answers: where a hang or a costly input would show. */
  slowest: Array<{ index: number; op: string; mutation?: string; status: string; ms: number }>;
  /** Where the time went: setting up, sending, and waiting and checking afterwards. */
  phasesMs: { prepare: number; send: number; settle: number };
  /** Status → count, over every request sent. */
  statuses: Record<string, number>;
  /** Operation key → status → count. */
  perOperation: Record<string, Record<string, number>>;
  /** Plans by kind: valid, invalid, checkout. */
  kinds: Record<string, number>;
  /** How often each conditional check applied (isolation, authentication, idempotency): a check that never ran proves nothing. */
  checked: Record<string, number>;
  failures: Array<Failure>;
  contract: Array<Failure<ContractKind>>;
  /** Accepted orders and how they ended. */
  orders: { accepted: number; outcomes: Record<string, number> };
  /** Violations of I1–I5 found over the API afterwards (I6 and I7 are judged per answer). */
  invariants: string[];
  deadLetters: DeadLetterFinding[];
}

/** Tracked products at ordinary prices (two more sit at the price limits). */
const TRACKED_PRODUCTS = 3;
const TRACKED_STOCK = 500;
const BODY_PREVIEW = 2_000;
const RAW_LIMIT = 64 * 1024;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** The bytes a plan's body becomes, its ids resolved. */
function encodeBody(spec: BodySpec | undefined, world: World): Buffer | undefined {
  if (!spec) return undefined;
  if ('json' in spec) return Buffer.from(JSON.stringify(world.resolve(spec.json)) ?? 'null', 'utf8');
  if ('text' in spec) return Buffer.from(spec.text, spec.latin1 ? 'latin1' : 'utf8');
  if ('utf16' in spec) return Buffer.from(JSON.stringify(world.resolve(spec.utf16)) ?? 'null', 'utf16le');
  return Buffer.from(`{"padding":"${'p'.repeat(Math.max(0, spec.fill - 15))}"}`, 'utf8');
}

/** Chunked transfer coding of `body`, in chunks of up to 1 kB. */
function chunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 1024) {
    const piece = body.subarray(at, at + 1024);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) becomes its WTF-8 bytes,
 * %ED%A0%80 for U+D800: what a client that does not check its strings sends.
 */
function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** The platform's callers: their tokens and the customer's user id. */
interface Callers {
  tokens: Record<Exclude<Caller, 'anonymous'>, string>;
  customerId: string;
}

/** The Authorization headers a plan asks for. */
function authHeaders(plan: Plan, callers: Callers): Array<[string, string]> {
  const own = plan.caller === 'anonymous' ? callers.tokens.customer : callers.tokens[plan.caller];
  switch (plan.auth.kind) {
    case 'none': return [];
    case 'caller': return plan.caller === 'anonymous' ? [] : [['authorization', `Bearer ${own}`]];
    case 'literal': return [['authorization', plan.auth.value]];
    case 'lowercase': return [['authorization', `bearer ${own}`]];
    case 'twice': return [['authorization', `Bearer ${callers.tokens.customer}`], ['authorization', `Bearer ${callers.tokens.admin}`]];
    case 'tampered': {
      const [h, p, s = ''] = own.split('.');
      const flipped = s.length > 10 ? `${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}` : `${s}A`;
      return [['authorization', `Bearer ${h}.${p}.${flipped}`]];
    }
    case 'alg-none': return [['authorization', `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims(callers.tokens.admin))}.`]];
  }
}

/** Turns a plan into the exact request, resolving ids from what the world knows now. */
function materialise(plan: Plan, index: number, seed: number, world: World, callers: Callers): { wire: WireRequest; caller: Caller; repeats?: KeyUse; key?: string } {
  let caller = plan.caller;
  let body = encodeBody(plan.body, world);
  let contentType = plan.contentType === undefined ? (body ? 'application/json' : null) : plan.contentType;
  let repeats: KeyUse | undefined;
  let key: string | undefined;
  if (plan.idempotency) {
    const earlier = world.keys.length ? world.keys[Math.floor(plan.idempotency.pick * world.keys.length)] : undefined;
    if (plan.idempotency.mode !== 'fresh' && earlier) {
      repeats = earlier;
      key = earlier.key;
      caller = earlier.caller;
      if (plan.idempotency.mode === 'reuse-same') {
        body = earlier.body;
        contentType = earlier.contentType ?? null;
      }
    } else {
      key = `fz-${seed}-${index}-${plan.idempotency.key}`.slice(0, 128);
    }
  }
  const path = plan.segments.map((s) => ('raw' in s ? s.raw : percentEncode(String(world.resolve(s.value))))).join('/');
  const query = plan.rawQuery ?? (plan.query.length ? `?${plan.query.map((q) => `${percentEncode(q.name)}=${percentEncode(String(world.resolve(q.value)))}`).join('&')}` : '');
  const headers: Array<[string, string]> = [
    ...(plan.correlation ? [['x-correlation-id', `fz-${seed}-${index}`] as [string, string]] : []),
    ...authHeaders({ ...plan, caller }, callers),
    ...(contentType !== null && contentType !== undefined ? [['content-type', contentType] as [string, string]] : []),
    ...(key ? [['idempotency-key', key] as [string, string]] : []),
    ...plan.headers,
  ];
  if (plan.chunked && body) {
    // A mutation may name its own transfer coding (gzip, chunked); the body is chunked either way, so the request ends.
    if (!headers.some(([n]) => n === 'transfer-encoding')) headers.push(['transfer-encoding', 'chunked']);
    body = chunk(body);
  }
  return { wire: { method: plan.method, target: `${path}${query}`, headers, ...(body ? { body } : {}), ...(plan.version ? { version: plan.version } : {}) }, caller, ...(repeats ? { repeats } : {}), ...(key ? { key } : {}) };
}

/** A reproducer for a request and, when it came, its answer. */
function reproducer(index: number, seed: number, plan: Plan, caller: Caller, wire: WireRequest, host: string, res?: WireResponse): Reproducer {
  const raw = encodeRequest(wire, host);
  const body = wire.body?.toString('utf8');
  return {
    index,
    seed,
    caller,
    op: plan.op,
    kind: plan.kind,
    ...(plan.mutation ? { mutation: plan.mutation } : {}),
    method: wire.method,
    target: wire.target.length > 300 ? `${wire.target.slice(0, 300)}… (${wire.target.length} characters)` : wire.target,
    headers: wireHeaders(wire, host).map(([n, v]) => [n, v.length > 300 ? `${v.slice(0, 300)}… (${v.length} characters)` : v]),
    ...(body !== undefined ? { body: body.length > BODY_PREVIEW ? `${body.slice(0, BODY_PREVIEW)}… (${body.length} characters)` : body } : {}),
    bodyBytes: wire.body?.length ?? 0,
    ...(raw.length <= RAW_LIMIT ? { raw: raw.toString('base64') } : {}),
    ...(res ? { status: res.status, answer: res.body.slice(0, 500) } : {}),
  };
}

/**
 * The prices of the tracked products: three ordinary ones, and the lowest and highest price the
 * document allows, so that purchases also reach the edges (a total of zero, a total above the
 * largest amount one price may have).
 */
function trackedPrices(operations: Operation[]): number[] {
  const create = operations.find((o) => o.key === 'POST /api/v1/products');
  const amount = create?.body?.schema.properties?.price?.properties?.amount;
  const edges = [amount?.minimum, amount?.maximum].filter((n): n is number => typeof n === 'number');
  return [...Array.from({ length: TRACKED_PRODUCTS }, (_, i) => 1_000 + i * 250), ...edges];
}

/** Sets up the callers and the products whose stock only orders change. */
async function prepare(gatewayUrl: string, seed: number, world: World): Promise<{ admin: ApiClient; callers: Callers; operations: Operation[] }> {
  const api = new ApiClient(gatewayUrl);
  const docAnswer = await api.get('/api/v1/openapi.json');
  if (docAnswer.status !== 200) throw new Error(`the aggregated OpenAPI document does not answer: ${docAnswer.status}`);
  const document = docAnswer.body;
  const operations = readOperations(document);
  const admin = await api.login(DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
  const registered = await api.post<{ accessToken: string }>('/api/v1/auth/register', { email: `fuzz-${seed}-${Date.now()}@example.com`, password: 'fuzzing the platform', name: 'Fuzz Customer' });
  if (registered.status !== 201) throw new Error(`registering the fuzz customer: ${registered.status} ${JSON.stringify(registered.body)}`);
  const customerToken = registered.body.accessToken;
  const callers: Callers = { tokens: { admin: admin.token!, customer: customerToken }, customerId: String(claims(customerToken).sub) };

  for (const service of serviceNames(document)) world.add('services', service);
  const categories = await api.get<{ data: Array<{ slug: string }> }>('/api/v1/categories');
  world.learn('/api/v1/categories', categories.body);
  const category = categories.body.data[0]?.slug;
  if (!category) throw new Error('the catalog has no category: seed it first');
  for (const [i, amount] of trackedPrices(operations).entries()) {
    const created = await admin.post<{ id: string }>('/api/v1/products', {
      sku: `FUZZ-${seed}-${i}`,
      name: `Fuzzed kettle ${i}`,
      description: 'Stock changed by orders only, for the stock-conservation check.',
      price: { amount, currency: 'USD' },
      category,
      initialStock: TRACKED_STOCK,
    });
    if (created.status !== 201) throw new Error(`creating a tracked product: ${created.status} ${JSON.stringify(created.body)}`);
    world.trackedStock.set(created.body.id, TRACKED_STOCK);
    world.add('tracked', created.body.id);
    world.add('products', created.body.id);
  }
  // product.created reaches inventory and orders through the broker: wait until both know them.
  const deadline = Date.now() + 30_000;
  for (const id of world.trackedStock.keys()) {
    while ((await api.get<{ available?: number }>(`/api/v1/inventory/${id}`)).body.available !== TRACKED_STOCK) {
      if (Date.now() > deadline) throw new Error(`the stock of tracked product ${id} never reached inventory`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let page = 1; page <= 5; page++) {
    const products = await api.get<{ pagination: { pages: number } }>(`/api/v1/products?limit=100&page=${page}`);
    world.learn('/api/v1/products', products.body);
    if (page >= products.body.pagination.pages) break;
  }
  return { admin, callers, operations };
}

/** Stock of every product the fuzzer has seen: none negative, none reserved once orders have settled (I3, beyond the tracked products). */
async function stockAtRest(admin: ApiClient, world: World): Promise<string[]> {
  const problems: string[] = [];
  for (const id of world.list('products')) {
    const res = await admin.get<{ available: number; reserved: number }>(`/api/v1/inventory/${id}`);
    if (res.status !== 200) continue; // deleted products have no stock to check
    if (res.body.available < 0 || res.body.reserved < 0) problems.push(`I3: ${id} has negative stock (${res.body.available} available, ${res.body.reserved} reserved)`);
    else if (res.body.reserved !== 0) problems.push(`I3: ${id} still has ${res.body.reserved} reserved with every order settled`);
  }
  return problems;
}

/**
 * Fuzzes the public API of the platform behind `gatewayUrl`, which must be seeded and have
 * the development admin. It reads the aggregated OpenAPI document, generates `requests`
 * requests from `seed` (valid, invalid and real purchases, as anonymous, a new customer and
 * the admin), sends them, judges each answer, then waits for every accepted order to settle
 * and checks the invariants and the dead letters.
 */
export async function fuzz(gatewayUrl: string, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const world = new World();
  const { admin, callers, operations } = await prepare(gatewayUrl, options.seed, world);
  const plans = fc.sample(
    planArbitrary({ operations, accounts: [DEV_ACCOUNTS.admin, DEV_ACCOUNTS.shopper], timeoutCardWeight: options.timeoutCardWeight ?? 1 }),
    { seed: options.seed, numRuns: options.requests },
  );
  const byKey = new Map(operations.map((o) => [o.key, o]));
  const origin = new URL(gatewayUrl);
  const report: FuzzReport = {
    seed: options.seed,
    planned: plans.length,
    sent: 0,
    durationMs: 0,
    slowest: [],
    phasesMs: { prepare: Date.now() - started, send: 0, settle: 0 },
    statuses: {},
    perOperation: {},
    kinds: {},
    checked: {},
    failures: [],
    contract: [],
    orders: { accepted: 0, outcomes: {} },
    invariants: [],
    deadLetters: [],
  };
  const sentRequests = new Map<string, { request: Reproducer; accepted: boolean }>();
  const deadline = Date.now() + options.timeLimitMs;
  let next = 0;
  let done = 0;

  const count = (op: string, status: string) => {
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
    const row = (report.perOperation[op] ??= {});
    row[status] = (row[status] ?? 0) + 1;
  };

  const timed = (index: number, plan: Plan, status: string, ms: number) => {
    report.slowest.push({ index, op: plan.op, ...(plan.mutation ? { mutation: plan.mutation } : {}), status, ms });
    report.slowest.sort((a, b) => b.ms - a.ms).splice(10);
  };

  const one = async (index: number) => {
    const plan = plans[index]!;
    const { wire, caller, repeats, key } = materialise(plan, index, options.seed, world, callers);
    report.kinds[plan.kind] = (report.kinds[plan.kind] ?? 0) + 1;
    let res: WireResponse;
    const sentAt = Date.now();
    try {
      res = await send(origin, wire, options.requestTimeoutMs ?? 15_000);
      timed(index, plan, String(res.status), Date.now() - sentAt);
    } catch (err) {
      if (!(err instanceof NoAnswer)) throw err;
      timed(index, plan, 'no answer', Date.now() - sentAt);
      count(plan.op, 'no answer');
      report.failures.push({ kind: 'no-answer', detail: err.message, request: reproducer(index, options.seed, plan, caller, wire, origin.host) });
      return;
    }
    count(plan.op, String(res.status));
    const operation = byKey.get(plan.op);
    const request = reproducer(index, options.seed, plan, caller, wire, origin.host, res);
    const ok = res.status >= 200 && res.status < 300;
    sentRequests.set(`fz-${options.seed}-${index}`, { request, accepted: ok });
    const verdict = judge({ plan: { ...plan, caller }, operation, ...(repeats ? { repeats } : {}), customerId: callers.customerId }, res, world);
    for (const f of verdict.failures) report.failures.push({ ...f, request });
    for (const c of verdict.contract) report.contract.push({ ...c, request });
    for (const name of verdict.checked) report.checked[name] = (report.checked[name] ?? 0) + 1;

    const body = jsonBody(res);
    if (!ok || !operation || body instanceof Error || plan.method !== operation.method) return;
    world.learn(operation.path, body);
    const id = body && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
    if (operation.key === 'POST /api/v1/orders' && typeof id === 'string') {
      if (!world.accepted.some((o) => o.id === id)) world.accepted.push({ id, owner: caller, request: index });
      world.orderOwners.set(id, caller === 'customer' ? callers.customerId : String(claims(callers.tokens.admin).sub));
      if (key && !repeats) world.keys.push({ caller, key, body: wire.body, contentType: wire.headers.find(([n]) => n === 'content-type')?.[1], orderId: id });
    }
  };

  // A few workers take the plans in order; each answer can feed ids to the plans after it.
  const worker = async () => {
    while (next < plans.length && Date.now() < deadline) {
      const index = next++;
      await one(index);
      report.sent++;
      options.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  report.phasesMs.send = Date.now() - started - report.phasesMs.prepare;

  // Afterwards: every accepted order settles (I1), then I2, I3 and I5 over the API.
  const orderIds = world.accepted.map((o) => o.id);
  options.log?.(`Sent ${report.sent} requests; waiting for ${orderIds.length} orders to settle, then checking the invariants and the dead letters.`);
  report.orders.accepted = orderIds.length;
  const settled = await waitForOrders(admin, orderIds).catch((err: Error) => {
    report.invariants.push(err.message);
    return undefined;
  });
  for (const o of settled?.values() ?? []) {
    const reason = (o as { cancellationReason?: string | null }).cancellationReason;
    const outcome = reason ? `${o.status} (${reason})` : o.status;
    report.orders.outcomes[outcome] = (report.orders.outcomes[outcome] ?? 0) + 1;
  }
  report.invariants.push(...(await checkInvariants(admin, { orderIds, stock: world.trackedStock })));
  report.invariants.push(...(await stockAtRest(admin, world)));

  const letters = await admin.get<{ data: Array<{ service: string; type: string; purpose: string; error: string; subject: string; envelope: string }> }>('/api/v1/ops/dead-letters?includeReplayed=true&limit=500');
  if (letters.status !== 200) report.invariants.push(`I5: the dead letters cannot be read (${letters.status})`);
  for (const l of letters.body.data ?? []) {
    let correlationId: string | undefined;
    try {
      correlationId = (JSON.parse(l.envelope) as { correlationid?: string }).correlationid;
    } catch {
      // An envelope that is not JSON names no request.
    }
    // Events handled downstream may not carry the request's correlation id; the order they are about names it too.
    const placedBy = world.accepted.find((o) => o.id === l.subject)?.request;
    const origin = (correlationId ? sentRequests.get(correlationId) : undefined) ?? (placedBy !== undefined ? sentRequests.get(`fz-${options.seed}-${placedBy}`) : undefined);
    report.deadLetters.push({ service: l.service, type: l.type, purpose: l.purpose, error: l.error, subject: l.subject, ...(correlationId ? { correlationId } : {}), ...(origin ? { request: origin.request, accepted: origin.accepted } : {}) });
  }
  report.durationMs = Date.now() - started;
  report.phasesMs.settle = report.durationMs - report.phasesMs.prepare - report.phasesMs.send;
  return report;
}
