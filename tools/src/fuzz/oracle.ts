import type { WireResponse } from './http.ts';
import type { Operation } from './openapi.ts';
import type { Plan } from './plan.ts';
import type { KeyUse, World } from './world.ts';

/** Kinds of failure: each is a defect of the platform (or of its document) when it happens. */
export type FailureKind =
  /** A 5xx answer. */
  | 'server-error'
  /** A 4xx answer that is not problem+json with type, title, status, detail and code, the status matching. */
  | 'not-problem'
  /** The connection closed without an answer, or none came in time. */
  | 'no-answer'
  /** A JSON content type on a body that does not parse. */
  | 'bad-json'
  /** I7: the customer was shown another user's order, payment, shipment or message. */
  | 'isolation'
  /** No token, or a broken one, and a secured operation answered 2xx. */
  | 'auth-bypass'
  /** I6: a repeated Idempotency-Key made or returned a different order. */
  | 'idempotency';

/** Differences between the document and the platform's behaviour, reported but not failing the run. */
export type ContractKind =
  /** Every part fits the document, yet the answer was 400. */
  | 'valid-refused'
  /** A request that certainly breaks the document was answered 2xx. */
  | 'invalid-accepted';

/** One finding on one answer. */
export interface Finding<K extends string = FailureKind> {
  kind: K;
  detail: string;
}

/** What the oracle knows about the request it judges. */
export interface Judged {
  plan: Plan;
  operation: Operation | undefined;
  /** The Idempotency-Key use this request repeats, when it repeats one. */
  repeats?: KeyUse;
  /** The customer's user id (I7 looks for any other). */
  customerId: string;
}

const PROBLEM_TYPE = /^application\/problem\+json\s*(;|$)/i;

/** Why a 4xx answer is not a proper problem document, or undefined when it is one. */
export function problemDefect(res: WireResponse, method: string): string | undefined {
  const type = res.headers['content-type'];
  if (!type || !PROBLEM_TYPE.test(type)) return `content-type ${type === undefined ? 'missing' : JSON.stringify(type)}`;
  if (method === 'HEAD') return undefined; // a HEAD answer has no body to check
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `body is not JSON: ${JSON.stringify(res.body.slice(0, 80))}`;
  }
  if (!body || typeof body !== 'object') return 'body is not an object';
  for (const field of ['type', 'title', 'detail', 'code']) if (typeof body[field] !== 'string') return `no string "${field}"`;
  if (body.status !== res.status) return `"status" is ${JSON.stringify(body.status)} for a ${res.status} answer`;
  return undefined;
}

/** The body as JSON when the answer says it is JSON; `undefined` when it is not JSON; an Error when it does not parse. */
export function jsonBody(res: WireResponse): unknown {
  if (!/json/i.test(res.headers['content-type'] ?? '') || res.streamed || !res.body) return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch (err) {
    return err as Error;
  }
}

/** Every `userId` and `orderId` an answer shows, anywhere in it. */
function owners(value: unknown, out: { userIds: Set<string>; orderIds: Set<string> }, depth = 0): typeof out {
  if (depth > 8 || !value || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const v of value) owners(v, out, depth + 1);
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'userId' && typeof v === 'string') out.userIds.add(v);
    else if (k === 'orderId' && typeof v === 'string') out.orderIds.add(v);
    else owners(v, out, depth + 1);
  }
  return out;
}

/** The auth kinds that must never pass a secured operation. */
const FORGED = new Set(['none', 'literal', 'tampered', 'alg-none']);

/**
 * Judges one answer: no 5xx, every 4xx a problem document, JSON that parses, the customer
 * shown only what is theirs (I7), no way in without a valid token, and a repeated
 * Idempotency-Key answered with the same order (I6). Returns the failures, where the
 * platform and its document disagree, and which of the conditional checks applied.
 */
export function judge(j: Judged, res: WireResponse, world: World): { failures: Finding[]; contract: Array<Finding<ContractKind>>; checked: string[] } {
  const checked: string[] = [];
  const failures: Finding[] = [];
  const contract: Array<Finding<ContractKind>> = [];
  const { plan } = j;
  if (res.status >= 500) failures.push({ kind: 'server-error', detail: `${res.status} ${res.body.slice(0, 300)}` });
  if (res.status >= 400 && res.status < 500) {
    const defect = problemDefect(res, plan.method);
    if (defect) failures.push({ kind: 'not-problem', detail: `${res.status}: ${defect}` });
  }
  const body = jsonBody(res);
  if (body instanceof Error) failures.push({ kind: 'bad-json', detail: `${res.status} ${res.headers['content-type']}: ${body.message}` });
  const ok = res.status >= 200 && res.status < 300;

  // Checks that hold only where the request still reaches the operation it was made for.
  const onRoute = plan.method === j.operation?.method && !plan.mutation?.startsWith('path with') && !plan.mutation?.startsWith('method');
  if (onRoute && j.operation?.secured && FORGED.has(plan.auth.kind)) checked.push('authentication');
  if (ok && onRoute && j.operation?.secured && FORGED.has(plan.auth.kind)) {
    failures.push({ kind: 'auth-bypass', detail: `${res.status} to ${plan.auth.kind === 'none' ? 'a request without a token' : `a forged token (${plan.mutation})`}` });
  }
  if (ok && plan.caller === 'customer' && plan.auth.kind !== 'twice' && body && !(body instanceof Error)) {
    checked.push('isolation');
    const seen = owners(body, { userIds: new Set(), orderIds: new Set() });
    const strangers = [...seen.userIds].filter((u) => u !== j.customerId);
    const foreign = [...seen.orderIds].filter((o) => world.orderOwners.has(o) && world.orderOwners.get(o) !== j.customerId);
    if (strangers.length || foreign.length) failures.push({ kind: 'isolation', detail: `the customer was shown ${strangers.length ? `user ${strangers[0]}'s data` : `order ${foreign[0]}, not theirs`}` });
  }
  if (j.repeats && plan.idempotency) {
    checked.push(`idempotency (${plan.idempotency.mode})`);
    const id = body && typeof body === 'object' && !(body instanceof Error) ? (body as { id?: unknown }).id : undefined;
    if (plan.idempotency.mode === 'reuse-same' && (!ok || id !== j.repeats.orderId)) {
      failures.push({ kind: 'idempotency', detail: `the same request under key ${j.repeats.key} was answered ${res.status} ${ok ? `with order ${String(id)}` : ''}, first with order ${j.repeats.orderId}` });
    }
    if (plan.idempotency.mode === 'reuse-other' && ok && id !== j.repeats.orderId) {
      failures.push({ kind: 'idempotency', detail: `key ${j.repeats.key}, first used for order ${j.repeats.orderId}, made order ${String(id)} for another body` });
    }
  }

  if (plan.kind === 'valid' && res.status === 400) contract.push({ kind: 'valid-refused', detail: res.body.slice(0, 300) });
  if (plan.kind === 'invalid' && plan.invalid && ok && onRoute) contract.push({ kind: 'invalid-accepted', detail: `${res.status} to ${plan.mutation}` });
  return { failures, contract, checked };
}
