import fc from 'fast-check';
import type { Operation } from './openapi.ts';
import { invalidValue, textFits, validValue, type FieldHook, type JsonSchema } from './schema.ts';
import { PoolRef, type Caller } from './world.ts';

/** A path segment: literal text (sent as is) or a parameter value (encoded when sent). */
export type Segment = { raw: string } | { value: unknown };

/** A query parameter, percent-encoded when sent (a PoolRef value resolved first). */
export interface QueryPart {
  name: string;
  value: unknown;
}

/** What the body is made of. */
export type BodySpec =
  | { json: unknown }
  /** Text as it is (broken JSON, say), as UTF-8 or, with latin1, one byte per character. */
  | { text: string; latin1?: boolean }
  /** JSON encoded as UTF-16LE. */
  | { utf16: unknown }
  /** A JSON object padded to `fill` bytes, made when sent rather than held in the plan. */
  | { fill: number };

/** How the request authenticates. */
export type Auth =
  | { kind: 'caller' }
  | { kind: 'none' }
  | { kind: 'literal'; value: string }
  /** The caller's token with its signature altered. */
  | { kind: 'tampered' }
  /** An unsigned token (alg "none") claiming the admin role. */
  | { kind: 'alg-none' }
  /** The caller's token after a lower-case "bearer". */
  | { kind: 'lowercase' }
  /** Two Authorization headers, the customer's and the admin's. */
  | { kind: 'twice' };

/** One request to make, generated from the seed before the run; ids are resolved when it is sent. */
export interface Plan {
  /** valid: every part fits the document; invalid: one part is broken; checkout: a real purchase. */
  kind: 'valid' | 'invalid' | 'checkout';
  caller: Caller;
  /** The operation's key (`POST /api/v1/orders`), or `unrouted` for paths the document has no operation for. */
  op: string;
  method: string;
  segments: Segment[];
  query: QueryPart[];
  /** Sent instead of `query` when set (everything after the path, `?` included). */
  rawQuery?: string;
  headers: Array<[string, string]>;
  auth: Auth;
  body?: BodySpec;
  /** undefined: application/json when there is a body; null: no content-type header. */
  contentType?: string | null;
  idempotency?: { mode: 'fresh' | 'reuse-same' | 'reuse-other'; key: string; pick: number };
  /** False when a mutation sets its own x-correlation-id. */
  correlation: boolean;
  /** Send the body with Transfer-Encoding: chunked. */
  chunked?: boolean;
  version?: string;
  /** What was broken, for the report. */
  mutation?: string;
  /** True when the request certainly violates the document. */
  invalid: boolean;
}

/** The fake payment provider's test cards. */
export const TEST_CARDS = { approved: '4242424242424242', declined: '4000000000000002', insufficient: '4000000000009995', timeout: '4000000000000119' };

/** The development accounts, so some logins succeed. */
export interface Credentials {
  email: string;
  password: string;
}

/** What the plan generator needs besides the document. */
export interface PlanContext {
  operations: Operation[];
  accounts: Credentials[];
  /** Share of checkouts that use the card that never answers (0 to leave it out). */
  timeoutCardWeight: number;
}

const UUID_ANY = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] });
const pick = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** Pools of names rather than ids: a stranger to them is another valid name, not a UUID. */
const NAME_POOLS = new Set(['services', 'categories']);

/**
 * A reference into `pool` most of the time, else a stranger: a random UUID (an id that does
 * not exist) or, for a pool of names, another value `schema` allows.
 */
function poolId(pool: string, share = 8, schema?: JsonSchema): fc.Arbitrary<unknown> {
  const stranger = schema && NAME_POOLS.has(pool) ? validValue(schema) : UUID_ANY;
  return fc.oneof(
    { weight: share, arbitrary: fc.tuple(pick, UUID_ANY).map(([p, u]) => new PoolRef(pool, p, u)) },
    { weight: 2, arbitrary: stranger },
  );
}

/** The pool a parameter or property named `name` draws from, if any. */
function poolFor(name: string, op: Operation, segments: string[], index: number): string | undefined {
  if (name === 'service') return 'services';
  if (name === 'category') return 'categories';
  if (name === 'productId' || (name === 'id' && segments[index - 1] === 'products')) {
    // Stock and product edits stay off the tracked products, so their stock is known (I3).
    return op.method !== 'GET' && /^\/api\/v1\/(products|inventory)\//.test(op.path) ? 'free' : 'products';
  }
  if (name.endsWith('Id')) return `${name.slice(0, -2)}s`;
  // An `{id}` draws from the resource named before it: /sagas/{id}, /dead-letters/{service}/{id}.
  if (name === 'id') return segments.slice(0, index).reverse().find((s) => s && !s.startsWith('{'));
  return undefined;
}

/** Property values the fuzzer picks itself: known ids, the dev accounts, the test cards. */
function fieldHook(ctx: PlanContext, op: Operation): FieldHook {
  const login = /\/auth\/login$/.test(op.path);
  return (name, schema) => {
    if (name === 'productId' || name === 'orderId' || name === 'userId' || name === 'category') {
      return fc.oneof({ weight: 8, arbitrary: poolId(poolFor(name, op, [], 0)!, 8, schema) }, { weight: 1, arbitrary: validValue(schema) });
    }
    if (login && name === 'email' && ctx.accounts.length) return fc.oneof(fc.constantFrom(...ctx.accounts.map((a) => a.email)), validValue(schema));
    if (login && name === 'password' && ctx.accounts.length) return fc.oneof(fc.constantFrom(...ctx.accounts.map((a) => a.password)), validValue(schema));
    if (name === 'cardNumber') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(TEST_CARDS.approved, TEST_CARDS.declined, TEST_CARDS.insufficient) }, { weight: 1, arbitrary: validValue(schema) });
    return undefined;
  };
}

const callers = (anonymous: number, customer: number, admin: number): fc.Arbitrary<Caller> =>
  fc.oneof({ weight: anonymous, arbitrary: fc.constant('anonymous' as const) }, { weight: customer, arbitrary: fc.constant('customer' as const) }, { weight: admin, arbitrary: fc.constant('admin' as const) });
/** Who calls: anonymous a fifth of the time, else the customer or the admin. */
const callerArb = callers(2, 5, 3);
/** Who calls an operation that may answer 403 (admin only, as a rule): the admin more often, so it gets past the check. */
const adminHeavy = callers(2, 2, 6);

/** A request whose every part fits the document. */
function validPlan(ctx: PlanContext, op: Operation): fc.Arbitrary<Plan> {
  const hook = fieldHook(ctx, op);
  const template = op.path.split('/');
  const segmentArbs = template.map((seg, i): fc.Arbitrary<Segment> => {
    const m = /^\{(.+)\}$/.exec(seg);
    if (!m) return fc.constant({ raw: seg });
    const name = m[1]!;
    const schema = op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? { type: 'string' };
    const pool = poolFor(name, op, template, i);
    const value = pool ? fc.oneof({ weight: 9, arbitrary: poolId(pool, 8, schema) }, { weight: 1, arbitrary: validValue(schema) }) : validValue(schema);
    return value.map((v) => ({ value: v }));
  });
  const queryArbs = op.parameters.filter((p) => p.in === 'query').map((p) => {
    const pool = poolFor(p.name, op, [], 0);
    const value = pool ? fc.oneof({ weight: 4, arbitrary: poolId(pool, 8, p.schema) }, { weight: 1, arbitrary: validValue(p.schema) }) : validValue(p.schema);
    const part = value.map((v): QueryPart => ({ name: p.name, value: v }));
    return p.required ? part.map((q) => [q]) : fc.option(part, { nil: undefined }).map((q) => (q ? [q] : []));
  });
  const needsKey = op.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
  const keySchema = op.parameters.find((p) => p.name.toLowerCase() === 'idempotency-key')?.schema ?? {};
  const body = op.body ? (op.body.required ? validValue(op.body.schema, hook).map((v) => ({ json: v })) : fc.option(validValue(op.body.schema, hook).map((v) => ({ json: v })), { nil: undefined })) : fc.constant(undefined);
  return fc.record({
    caller: op.statuses.includes('403') ? adminHeavy : callerArb,
    segments: fc.tuple(...segmentArbs),
    query: fc.tuple(...queryArbs).map((parts) => parts.flat()),
    body,
    key: needsKey ? validValue({ ...keySchema, minLength: 1, maxLength: 80 }).map(String) : fc.constant(''),
  }).map(({ caller, segments, query, body: b, key }): Plan => ({
    kind: 'valid',
    caller,
    op: op.key,
    method: op.method,
    segments,
    query,
    headers: [],
    auth: { kind: caller === 'anonymous' ? 'none' : 'caller' },
    ...(b ? { body: b } : {}),
    ...(needsKey ? { idempotency: { mode: 'fresh' as const, key, pick: 0 } } : {}),
    correlation: true,
    invalid: false,
  }));
}

/** A mutation: a change to a valid plan, with what it breaks. */
type Mutate = (plan: Plan) => Plan;

const broken = (plan: Plan, mutation: string, invalid: boolean, change: Partial<Plan>): Plan => ({ ...plan, ...change, kind: 'invalid', mutation, invalid: plan.invalid || invalid });

/** The body's JSON text, for mutations that break it. */
const jsonOf = (plan: Plan): string => (plan.body && 'json' in plan.body ? JSON.stringify(plan.body.json, (_k, v: unknown) => (v instanceof PoolRef ? v.fallback : v)) ?? '{}' : '{}');

/** Bodies that are not the JSON they claim to be, or JSON that parsers handle in different ways. */
function bodyText(): fc.Arbitrary<Mutate> {
  const texts: Array<[string, (json: string) => BodySpec, boolean]> = [
    ['truncated JSON', (j) => ({ text: j.slice(0, Math.max(1, Math.floor(j.length / 2))) }), true],
    ['JSON then garbage', (j) => ({ text: `${j}}garbage` }), true],
    ['empty body', () => ({ text: '' }), true],
    ['whitespace body', () => ({ text: ' \r\n\t' }), true],
    ['null body', () => ({ text: 'null' }), true],
    ['array body', () => ({ text: '[]' }), true],
    ['string body', () => ({ text: '"text"' }), true],
    ['number body', () => ({ text: '12345' }), true],
    ['single quotes', () => ({ text: "{'a': 'b'}" }), true],
    ['trailing comma', (j) => ({ text: j.replace(/}$/, ',}') }), true],
    ['BOM before JSON', (j) => ({ text: `\ufeff${j}` }), false],
    ['raw NUL inside JSON', (j) => ({ text: j.replace(/"([^"]*)"/, '"$1\u0000"') }), true],
    ['raw control characters inside a string', (j) => ({ text: j.replace(/"([^"]*)"/, '"$1\u0001\u001f"') }), true],
    ['escaped lone surrogate', (j) => ({ text: j.replace(/:"([^"]*)"/, ':"$1\\ud800"') }), false],
    ['invalid UTF-8 bytes', (j) => ({ text: j.replace(/:"([^"]*)"/, ':"$1\u00ff\u00fe\u00c0\u00af"'), latin1: true }), true],
    ['number 1e400', () => ({ text: '{"n":1e400,"quantity":1e400,"amount":1e400}' }), true],
    ['duplicate keys', (j) => ({ text: j.replace(/^\{/, '{"__dup":1,"__dup":2,') }), true],
    ['own __proto__ key', (j) => ({ text: j.replace(/^\{/, '{"__proto__":{"isAdmin":true},') }), true],
    ['constructor.prototype key', (j) => ({ text: j.replace(/^\{/, '{"constructor":{"prototype":{"isAdmin":true}},') }), true],
    ['deeply nested arrays', () => ({ text: `${'['.repeat(20_000)}${']'.repeat(20_000)}` }), true],
    ['deeply nested objects', () => ({ text: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}` }), true],
    ['JSON as UTF-16', (j) => ({ utf16: JSON.parse(j) as unknown }), true],
    ['body over the 1 MiB limit', () => ({ fill: 1_100_000 }), true],
  ];
  return fc.constantFrom(...texts).map(([name, make, invalid]) => (plan: Plan) => broken(plan, name, invalid, { body: make(jsonOf(plan)) }));
}

/** Content types other than application/json, and spellings of it. */
function contentType(): fc.Arbitrary<Mutate> {
  const types: Array<[string | null, boolean]> = [
    [null, true],
    ['', true],
    ['text/plain', true],
    ['application/x-www-form-urlencoded', true],
    ['multipart/form-data; boundary=x', true],
    ['application/xml', true],
    ['application/json; charset=utf-16', false],
    ['application/json; charset=iso-8859-1', false],
    ['application/json; charset=nonsense', false],
    ['APPLICATION/JSON', false],
    ['application/json;', false],
    ['application/jsonx', true],
    ['application/problem+json', true],
    ['application/vnd.emporium+json', true],
    ['*/*', true],
    ['application/json, text/plain', true],
    ['application/json\u00e9', true],
  ];
  return fc.constantFrom(...types).map(([type, invalid]) => (plan: Plan) => broken(plan, `content-type ${JSON.stringify(type)}`, invalid, { contentType: type, body: plan.body ?? { json: {} } }));
}

/** A body value that breaks the schema in one place. */
function bodyValue(op: Operation, ctx: PlanContext): fc.Arbitrary<Mutate> {
  return invalidValue(op.body!.schema, fieldHook(ctx, op)).map((m) => (plan: Plan) => broken(plan, `body ${m.note}`, m.invalid, { body: { json: m.value } }));
}

/** What a router makes of a percent-encoded segment (the text itself when it does not decode). */
function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Path parameters out of shape: wrong patterns, overlong, encoded slashes and dots, NUL. */
function pathParam(op: Operation): fc.Arbitrary<Mutate> | undefined {
  const positions = op.path.split('/').map((s, i) => (/^\{.+\}$/.test(s) ? i : -1)).filter((i) => i >= 0);
  if (!positions.length) return undefined;
  const schemaAt = (i: number): JsonSchema => op.parameters.find((p) => p.in === 'path' && `{${p.name}}` === op.path.split('/')[i])?.schema ?? {};
  const raws = ['%2e%2e', '..', '.', '%2F', 'a%2Fb', '%00', '%', '%zz', '%c0%af', '%ff', 'x'.repeat(201), 'x'.repeat(5000), '%20', '+', '%E2%80%AE', '%F0%9F%98%80', 'ключ', '😀', '*', '$', ';x=1', '1;DROP', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '123e4567-e89b-12d3-a456-42661417400', '{id}'];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...positions), fc.constantFrom(...raws)).map(([i, raw]) => (plan: Plan) => {
      const segments = plan.segments.slice();
      segments[i] = { raw };
      return broken(plan, `path parameter ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 20)}… (${raw.length})` : raw)}`, !textFits(schemaAt(i), decoded(raw)), { segments });
    }),
    fc.constantFrom(...positions).chain((i) => invalidValue(schemaAt(i)).map((m) => (plan: Plan) => {
      const segments = plan.segments.slice();
      const text = typeof m.value === 'string' ? m.value : JSON.stringify(m.value);
      segments[i] = { value: text };
      return broken(plan, `path parameter ${m.note}`, !textFits(schemaAt(i), text), { segments });
    })),
  );
}

/** Query parameters out of shape, unknown, repeated, or in forms that query parsers disagree on. */
function queryParam(op: Operation): fc.Arbitrary<Mutate> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const out: Array<fc.Arbitrary<Mutate>> = [];
  if (params.length) {
    out.push(fc.constantFrom(...params).chain((p) => invalidValue(p.schema).map((m) => (plan: Plan) => {
      const text = typeof m.value === 'string' ? m.value : JSON.stringify(m.value);
      return broken(plan, `query ${p.name}: ${m.note}`, !textFits(p.schema, text), { query: [...plan.query.filter((q) => q.name !== p.name), { name: p.name, value: text }] });
    })));
    out.push(fc.constantFrom(...params).map((p) => (plan: Plan) => broken(plan, `query ${p.name} repeated`, p.schema.type !== 'array', { query: [...plan.query, { name: p.name, value: '1' }, { name: p.name, value: '2' }] })));
    const required = params.filter((p) => p.required);
    if (required.length) out.push(fc.constantFrom(...required).map((p) => (plan: Plan) => broken(plan, `query ${p.name} (required) missing`, true, { query: plan.query.filter((q) => q.name !== p.name) })));
  }
  const raws = ['?', '??', '?&&&', '?=1', '?limit[]=1', '?limit[a]=1', '?__proto__[isAdmin]=true', '?constructor[prototype][isAdmin]=true', '?page=%zz', '?search=%00', '?search=%ff%fe', '?#frag', `?${'a=1&'.repeat(1000)}`, `?q=${'x'.repeat(9000)}`, '?page=1e3', '?page=0x10', '?page=-0', '?limit= 1', '?status=CONFIRMED,CANCELLED'];
  out.push(fc.constantFrom(...raws).map((raw) => (plan: Plan) => broken(plan, `query ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 20)}… (${raw.length})` : raw)}`, false, { rawQuery: raw })));
  out.push(fc.constantFrom('unknown', 'admin', 'userId', '__proto__').map((name) => (plan: Plan) => broken(plan, `unknown query parameter ${name}`, false, { query: [...plan.query, { name, value: 'x' }] })));
  return fc.oneof(...out);
}

/** Headers the server must survive: bad Idempotency-Key and correlation ids, broken tokens, Expect, oversized and repeated headers. */
function headerChaos(op: Operation): fc.Arbitrary<Mutate> {
  const hasKey = op.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
  // The document says nothing of framing and transport headers, so none of these makes a request invalid for it.
  const withHeaders = (name: string, headers: Array<[string, string]>, extra: Partial<Plan> = {}): Mutate => (plan) =>
    broken(plan, name, false, { headers: [...plan.headers, ...headers], ...extra, ...(extra.chunked ? { body: plan.body ?? { json: {} } } : {}) });
  const out: Array<[string, Array<[string, string]>, Partial<Plan>?]> = [
    ['Expect: 100-continue', [['expect', '100-continue']], { body: { json: {} } }],
    ['Expect: 100-continue (with the body)', [['expect', '100-continue']]],
    ['Expect: something-else', [['expect', 'something-else']]],
    ['x-correlation-id too long', [['x-correlation-id', 'c'.repeat(300)]], { correlation: false }],
    ['x-correlation-id with spaces and symbols', [['x-correlation-id', 'not a valid <id> ; drop']], { correlation: false }],
    ['x-correlation-id empty', [['x-correlation-id', '']], { correlation: false }],
    ['x-correlation-id in UTF-8', [['x-correlation-id', 'ключ-😀']], { correlation: false }],
    ['x-correlation-id with NUL', [['x-correlation-id', 'a\u0000b']], { correlation: false }],
    ['x-correlation-id twice', [['x-correlation-id', 'fz-one'], ['x-correlation-id', 'fz-two']], { correlation: false }],
    ['a 20 kB header', [['x-padding', 'p'.repeat(20_000)]]],
    ['a 70 kB cookie', [['cookie', `c=${'k'.repeat(70_000)}`]]],
    ['200 headers', Array.from({ length: 200 }, (_, i): [string, string] => [`x-h-${i}`, String(i)])],
    ['Accept: application/xml', [['accept', 'application/xml']]],
    ['Accept: text/html', [['accept', 'text/html']]],
    ['Accept: nothing acceptable', [['accept', 'image/png;q=1, */*;q=0']]],
    ['Accept-Encoding: gzip, br', [['accept-encoding', 'gzip, deflate, br']]],
    ['no Host header', [['x-no-host', '1']]],
    ['Host: evil.example', [['host', 'evil.example']]],
    ['two Host headers', [['host', '127.0.0.1'], ['host', 'evil.example']]],
    ['Content-Length: abc', [['content-length', 'abc']]],
    ['Content-Length and Transfer-Encoding', [['transfer-encoding', 'chunked'], ['content-length', '5']]],
    ['Transfer-Encoding: gzip, chunked', [['transfer-encoding', 'gzip, chunked']], { chunked: true }],
    ['X-Forwarded-For garbage', [['x-forwarded-for', 'not-an-ip, 999.1.1.1, ::ffff:zz']]],
    ['Origin: https://evil.example', [['origin', 'https://evil.example']]],
    ['header value in UTF-8', [['x-note', 'naïve ☃ 😀']]],
    ['header value with a control character', [['x-note', 'bell\u0007']]],
    ['header name with a space', [['x bad', '1']]],
    ['header with an empty name', [['', 'nameless']]],
    ['traceparent garbage', [['traceparent', '00-zzzz-yyyy-01']]],
    ['Content-Encoding: gzip on a plain body', [['content-encoding', 'gzip']]],
  ];
  const arbs: Array<fc.Arbitrary<Mutate>> = [fc.constantFrom(...out).map(([name, headers, extra]) => withHeaders(name, headers, extra))];
  arbs.push(fc.constantFrom<[string, Plan['auth']]>(
    ['Authorization: Bearer (no token)', { kind: 'literal', value: 'Bearer' }],
    ['Authorization: Bearer garbage', { kind: 'literal', value: 'Bearer not.a.jwt' }],
    ['Authorization: Bearer a.b.c', { kind: 'literal', value: 'Bearer a.b.c' }],
    ['Authorization: Basic', { kind: 'literal', value: 'Basic YWRtaW5AZW1wb3JpdW0uZGV2OmVtcG9yaXVtLWFkbWlu' }],
    ['Authorization: empty', { kind: 'literal', value: '' }],
    ['Authorization: 10 kB bearer', { kind: 'literal', value: `Bearer ${'t'.repeat(10_000)}` }],
    ['token with a tampered signature', { kind: 'tampered' }],
    ['unsigned token (alg none) claiming admin', { kind: 'alg-none' }],
    ['lower-case "bearer"', { kind: 'lowercase' }],
    ['two Authorization headers', { kind: 'twice' }],
  ).map(([name, auth]) => (plan: Plan) => broken(plan, name, false, { auth })));
  arbs.push(fc.constant((plan: Plan) => broken(plan, 'body sent chunked', false, { chunked: true, body: plan.body ?? { json: {} } })));
  arbs.push(fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x').map((version) => (plan: Plan) => broken(plan, `request line says ${version}`, false, { version })));
  if (hasKey) {
    const bad = ['', 'short', 'k'.repeat(129), 'has space in it', 'ключ-не-ascii', '\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 'tab\tinside-key', '😀😀😀😀😀😀😀😀'];
    arbs.push(fc.constantFrom(...bad).map((key) => (plan: Plan) => broken(plan, `Idempotency-Key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}… (${key.length})` : key)}`, true, { idempotency: undefined, headers: [...plan.headers, ['idempotency-key', key]] })));
    arbs.push(fc.constant((plan: Plan) => broken(plan, 'Idempotency-Key missing', true, { idempotency: undefined })));
    arbs.push(fc.constant((plan: Plan) => broken(plan, 'two Idempotency-Keys', true, { headers: [...plan.headers, ['idempotency-key', 'fz-second-key-0001']] })));
  }
  return fc.oneof(...arbs);
}

// CONNECT is left out: Node's HTTP server closes the connection on any CONNECT it has no handler for, by design.
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'get', 'FOO', 'G\u00c9T'];

/** The path sent with a method it does not have. */
function methodSwap(ctx: PlanContext, op: Operation): fc.Arbitrary<Mutate> {
  const defined = new Set(ctx.operations.filter((o) => o.path === op.path).map((o) => o.method));
  const others = METHODS.filter((m) => !defined.has(m));
  return fc.constantFrom(...others).map((method) => (plan: Plan) => broken(plan, `method ${method}`, method !== 'HEAD' && method !== 'OPTIONS', { method }));
}

/** The same route, spelt in ways a router or a proxy may read differently. */
function pathChaos(): fc.Arbitrary<Mutate> {
  const spellings: Array<[string, (segments: Segment[]) => Segment[]]> = [
    ['a percent-encoded letter', (s) => s.map((seg, i) => (i === 3 && 'raw' in seg && seg.raw ? { raw: `%${seg.raw.charCodeAt(0).toString(16)}${seg.raw.slice(1)}` } : seg))],
    ['a percent-encoded upper-case letter', (s) => s.map((seg, i) => (i === 3 && 'raw' in seg && seg.raw ? { raw: `%${seg.raw.toUpperCase().charCodeAt(0).toString(16)}${seg.raw.slice(1)}` } : seg))],
    ['an encoded slash', (s) => [...s.slice(0, 3), { raw: `${s.slice(3).map((seg) => ('raw' in seg ? seg.raw : 'x')).join('%2F')}` }]],
    ['a double slash', (s) => [...s.slice(0, 3), { raw: '' }, ...s.slice(3)]],
    ['a trailing slash', (s) => [...s, { raw: '' }]],
    ['a dot segment', (s) => [...s.slice(0, 3), { raw: '.' }, ...s.slice(3)]],
    ['a dot-dot segment', (s) => [...s.slice(0, 3), { raw: 'x' }, { raw: '..' }, ...s.slice(3)]],
    ['an encoded dot-dot segment', (s) => [...s.slice(0, 3), { raw: 'x' }, { raw: '%2e%2e' }, ...s.slice(3)]],
    ['upper case', (s) => s.map((seg) => ('raw' in seg ? { raw: seg.raw.toUpperCase() } : seg))],
    ['a matrix parameter', (s) => s.map((seg, i) => (i === s.length - 1 && 'raw' in seg ? { raw: `${seg.raw};jsessionid=1` } : seg))],
    ['an encoded NUL', (s) => [...s, { raw: '%00' }]],
    ['broken percent-encoding', (s) => [...s.slice(0, 3), { raw: '%' }, ...s.slice(3)]],
    ['an overlong encoded UTF-8 slash', (s) => [...s.slice(0, 3), { raw: '%c0%af' }, ...s.slice(3)]],
    ['a raw UTF-8 segment', (s) => [...s, { raw: 'ключ😀' }]],
    ['a backslash', (s) => [...s.slice(0, 3), { raw: '\\' }, ...s.slice(3)]],
    ['a 10 kB path', (s) => [...s, { raw: 'x'.repeat(10_000) }]],
  ];
  return fc.constantFrom(...spellings).map(([name, change]) => (plan: Plan) => broken(plan, `path with ${name}`, false, { segments: change(plan.segments) }));
}

/** Paths with no operation behind them, and request targets in odd forms. */
function unrouted(): fc.Arbitrary<Plan> {
  const targets = ['/api/v1/', '/api/v1', '/api/v1/nothing-here', '/api/v1/products/x/y/z', '/api/v1/orders/00000000-0000-0000-0000-000000000000/nothing', '/api/v1/ops', '/api/v1/ops/unknown', '/api/v1/auth', '/api/v1/auth/logout', '/api/v1/users', '/api/v1/users/00000000-0000-0000-0000-000000000000', '/api/v1/inventory', '/api/v1/admin', '/api/v1/%2e%2e/%2e%2e/etc/passwd', '/api/v1/..%2f..%2fpackage.json', '/api/v1/openapi.json/x', '*', 'http://127.0.0.1/api/v1/products', '//api/v1/products', '/api/v1/products?', '/api/v1/\u00e9'];
  return fc.record({ caller: callerArb, target: fc.constantFrom(...targets), method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') }).map(({ caller, target, method }): Plan => ({
    kind: 'invalid',
    caller,
    op: 'unrouted',
    method,
    segments: [{ raw: target }],
    query: [],
    headers: [],
    auth: { kind: caller === 'anonymous' ? 'none' : 'caller' },
    ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: { json: { probe: true } } } : {}),
    correlation: true,
    mutation: `unrouted ${method} ${target.length > 60 ? `${target.slice(0, 40)}…` : target}`,
    invalid: true,
  }));
}

/** A request with one part broken: `valid` (the operation's valid plans) with one mutation. */
function invalidPlan(ctx: PlanContext, op: Operation, valid: fc.Arbitrary<Plan>): fc.Arbitrary<Plan> {
  const mutations: Array<{ weight: number; arbitrary: fc.Arbitrary<Mutate> }> = [];
  if (op.body) {
    mutations.push({ weight: 8, arbitrary: bodyValue(op, ctx) }, { weight: 4, arbitrary: bodyText() }, { weight: 2, arbitrary: contentType() });
  } else {
    mutations.push({ weight: 1, arbitrary: bodyText().map((m) => (plan: Plan) => {
      // The document says nothing of a body here; servers may ignore one, so it breaks nothing.
      const changed = m(plan);
      return { ...changed, mutation: `${changed.mutation} on a bodiless operation`, invalid: plan.invalid };
    }) });
  }
  const path = pathParam(op);
  if (path) mutations.push({ weight: 3, arbitrary: path });
  mutations.push({ weight: op.parameters.some((p) => p.in === 'query') ? 3 : 1, arbitrary: queryParam(op) });
  mutations.push({ weight: 4, arbitrary: headerChaos(op) }, { weight: 2, arbitrary: methodSwap(ctx, op) }, { weight: 2, arbitrary: pathChaos() });
  return fc.tuple(valid, fc.oneof(...mutations)).map(([plan, mutate]) => mutate(plan));
}

/** A purchase meant to go through: known products in small quantities, a test card, a fresh (or repeated) Idempotency-Key. */
function checkoutPlan(ctx: PlanContext, orders: Operation, cartAdd: Operation | undefined): fc.Arbitrary<Plan> {
  const addressSchema = orders.body?.schema.properties?.shippingAddress ?? { type: 'object' };
  const address = fc.oneof(fc.constant({ name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }), validValue(addressSchema));
  // Mostly the tracked products, whose stock is ample, so most purchases get as far as the payment.
  const item = fc.record({ productId: fc.oneof({ weight: 7, arbitrary: poolId('tracked', 20) }, { weight: 3, arbitrary: poolId('products', 20) }), quantity: fc.integer({ min: 1, max: 3 }) });
  const cards = [
    { weight: 70, arbitrary: fc.constant(TEST_CARDS.approved) },
    { weight: 12, arbitrary: fc.constant(TEST_CARDS.declined) },
    { weight: 12, arbitrary: fc.constant(TEST_CARDS.insufficient) },
    ...(ctx.timeoutCardWeight > 0 ? [{ weight: ctx.timeoutCardWeight, arbitrary: fc.constant(TEST_CARDS.timeout) }] : []),
  ];
  const buyer = fc.oneof({ weight: 3, arbitrary: fc.constant('customer' as const) }, { weight: 2, arbitrary: fc.constant('admin' as const) });
  const order = fc.record({
    caller: buyer,
    items: fc.option(fc.array(item, { minLength: 1, maxLength: 3 }), { freq: 5, nil: undefined }),
    address,
    card: fc.oneof(...cards),
    key: fc.stringMatching(/^[A-Za-z0-9._~-]{8,40}$/),
    mode: fc.oneof({ weight: 17, arbitrary: fc.constant('fresh' as const) }, { weight: 2, arbitrary: fc.constant('reuse-same' as const) }, { weight: 1, arbitrary: fc.constant('reuse-other' as const) }),
    pick,
  }).map(({ caller, items, address: a, card, key, mode, pick: p }): Plan => ({
    kind: 'checkout',
    caller,
    op: orders.key,
    method: 'POST',
    segments: orders.path.split('/').map((raw) => ({ raw })),
    query: [],
    headers: [],
    auth: { kind: 'caller' },
    body: { json: { ...(items ? { items } : {}), shippingAddress: a, payment: { cardNumber: card } } },
    idempotency: { mode, key, pick: p },
    correlation: true,
    invalid: false,
  }));
  if (!cartAdd) return order;
  const add = fc.record({ caller: buyer, item }).map(({ caller, item: it }): Plan => ({
    kind: 'checkout',
    caller,
    op: cartAdd.key,
    method: 'POST',
    segments: cartAdd.path.split('/').map((raw) => ({ raw })),
    query: [],
    headers: [],
    auth: { kind: 'caller' },
    body: { json: it },
    correlation: true,
    invalid: false,
  }));
  return fc.oneof({ weight: 3, arbitrary: order }, { weight: 1, arbitrary: add });
}

/**
 * The mix of requests: about a sixth are purchases, half valid requests to any operation, a
 * third invalid ones (one part broken) and a few to paths no operation has.
 */
export function planArbitrary(ctx: PlanContext): fc.Arbitrary<Plan> {
  const ops = ctx.operations;
  const orders = ops.find((o) => o.method === 'POST' && o.path === '/api/v1/orders');
  const cartAdd = ops.find((o) => o.method === 'POST' && o.path === '/api/v1/cart/items');
  // Built once per operation: building one samples its string generators (see schema.ts).
  const valids = ops.map((op) => validPlan(ctx, op));
  // Sign-in and registration hash a password (a second or more on a busy machine): a quarter of the share.
  const weight = (op: Operation) => (/\/auth\//.test(op.path) ? 1 : 4);
  const valid = fc.oneof(...valids.map((arbitrary, i) => ({ weight: weight(ops[i]!), arbitrary })));
  const invalid = fc.oneof(...ops.map((op, i) => ({ weight: weight(op), arbitrary: invalidPlan(ctx, op, valids[i]!) })));
  return fc.oneof(
    ...(orders ? [{ weight: 16, arbitrary: checkoutPlan(ctx, orders, cartAdd) }] : []),
    { weight: 48, arbitrary: valid },
    { weight: 33, arbitrary: invalid },
    { weight: 3, arbitrary: unrouted() },
  );
}
