import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, type Failure, type FuzzReport } from '../../tools/src/fuzz/fuzz.ts';
import { send } from '../../tools/src/fuzz/http.ts';
import type { Operation } from '../../tools/src/fuzz/openapi.ts';
import { judge } from '../../tools/src/fuzz/oracle.ts';
import type { Plan } from '../../tools/src/fuzz/plan.ts';
import { startFuzzPlatform, type FuzzPlatform } from '../../tools/src/fuzz/platform.ts';
import { describeDeadLetters, describeFailures, statusTable, summary, tally, writeReport } from '../../tools/src/fuzz/report.ts';
import { World } from '../../tools/src/fuzz/world.ts';
import { ROOT } from '../../tools/src/processes.ts';

/** The CI run: a fixed seed, so a failure here is the same failure on every machine. */
const SEED = 20_240_601;
const REQUESTS = 2_000;
/** The sending phase's bound; on a loaded machine fewer requests go out, never a longer run. */
const SEND_LIMIT_MS = 40_000;

/** The failures of `kinds`, with the first reproducers as the message when there are any. */
function failuresOf(report: FuzzReport, ...kinds: string[]): { count: number; message: string } {
  const found: Failure[] = report.failures.filter((f) => kinds.includes(f.kind));
  return { count: found.length, message: `${found.length} failure(s) (seed ${report.seed}, replay with npm run fuzz -- --seed ${report.seed} --requests ${report.planned}):\n\n${describeFailures(found, 6)}` };
}

describe('the public API under fuzzing (embedded mode)', () => {
  let platform: FuzzPlatform | undefined;
  let report: FuzzReport;

  beforeAll(async () => {
    platform = await startFuzzPlatform();
    report = await fuzz(platform.gatewayUrl, { requests: REQUESTS, seed: SEED, timeLimitMs: SEND_LIMIT_MS, concurrency: 4, timeoutCardWeight: 1 });
    await writeReport(report, `${ROOT}test-results/fuzz.json`);
    // The closing note: the status table and the counts, as `npm run fuzz` prints them.
    console.log(`${statusTable(report)}\n\n${summary(report)}`);
  }, 240_000);
  afterAll(() => platform?.stop());

  it('sends valid, invalid and purchasing requests, and some checkouts settle each way', () => {
    expect(report.sent).toBeGreaterThanOrEqual(Math.min(REQUESTS, 400));
    expect(Object.keys(report.kinds).sort()).toEqual(['checkout', 'invalid', 'valid']);
    expect(report.orders.accepted).toBeGreaterThan(0);
    const outcomes = Object.keys(report.orders.outcomes);
    expect(outcomes.some((o) => o.startsWith('CONFIRMED') || o.startsWith('SHIPPED') || o.startsWith('DELIVERED'))).toBe(true);
    expect(outcomes.some((o) => o.startsWith('CANCELLED'))).toBe(true);
    // The conditional checks below had something to judge.
    expect(report.checked.isolation).toBeGreaterThan(0);
    expect(report.checked.authentication).toBeGreaterThan(0);
    expect(report.checked['idempotency (reuse-same)']).toBeGreaterThan(0);
  });

  it('answers no request with a 5xx', () => {
    const { count, message } = failuresOf(report, 'server-error');
    expect(count, message).toBe(0);
  });

  it('answers every 4xx with problem+json whose status matches', () => {
    const { count, message } = failuresOf(report, 'not-problem');
    expect(count, message).toBe(0);
  });

  it('answers every request, with JSON that parses, letting no one past authentication or into another customer’s data (I7), and keeps Idempotency-Keys (I6)', () => {
    const { count, message } = failuresOf(report, 'no-answer', 'bad-json', 'auth-bypass', 'isolation', 'idempotency');
    expect(count, message).toBe(0);
  });

  it('keeps the invariants afterwards: every order settled, no money without goods, stock conserved, outboxes drained (I1–I5)', () => {
    expect(report.invariants.length, tally(report.invariants).slice(0, 10).join('\n')).toBe(0);
  });

  it('makes no dead letter', () => {
    expect(report.deadLetters.length, describeDeadLetters(report.deadLetters, 4)).toBe(0);
  });
});

describe('the fuzzer’s oracle', () => {
  // A real HTTP server with canned answers: each one must trip exactly the check named.
  const answers: Record<string, { status: number; type?: string; body: string }> = {
    '/crash': { status: 500, type: 'application/problem+json', body: '{"type":"about:blank","title":"Internal","status":500,"detail":"boom","code":"INTERNAL"}' },
    '/plain-404': { status: 404, type: 'text/plain', body: 'not found' },
    '/wrong-status': { status: 404, type: 'application/problem+json', body: '{"type":"t","title":"t","status":400,"detail":"d","code":"C"}' },
    '/no-code': { status: 409, type: 'application/problem+json; charset=utf-8', body: '{"type":"t","title":"t","status":409,"detail":"d"}' },
    '/good-problem': { status: 404, type: 'application/problem+json; charset=utf-8', body: '{"type":"t","title":"t","status":404,"detail":"d","code":"NOT_FOUND"}' },
    '/broken-json': { status: 200, type: 'application/json', body: '{"data":' },
    '/someone-else': { status: 200, type: 'application/json', body: '{"id":"o1","userId":"someone-else","orderId":"o1"}' },
    '/mine': { status: 200, type: 'application/json', body: '{"id":"o2","userId":"me"}' },
  };
  let server: Server;
  let origin: URL;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const a = answers[req.url ?? ''] ?? { status: 404, type: 'application/problem+json', body: '{"type":"t","title":"t","status":404,"detail":"d","code":"NOT_FOUND"}' };
      res.writeHead(a.status, a.type ? { 'content-type': a.type } : {}).end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const operation: Operation = { key: 'GET /x', method: 'GET', path: '/x', tag: 'test', parameters: [], secured: true, statuses: ['200'] };
  const plan = (path: string, caller: Plan['caller'] = 'customer'): Plan => ({
    kind: 'valid', caller, op: operation.key, method: 'GET', segments: [{ raw: path }], query: [], headers: [], auth: { kind: caller === 'anonymous' ? 'none' : 'caller' }, correlation: true, invalid: false,
  });
  const kinds = async (path: string, caller?: Plan['caller']) => {
    const res = await send(origin, { method: 'GET', target: path, headers: [] }, 5_000);
    return judge({ plan: plan(path, caller), operation, customerId: 'me' }, res, new World()).failures.map((f) => f.kind);
  };

  it('flags a 5xx, a 4xx that is not problem+json, a status that disagrees, a missing code and JSON that does not parse', async () => {
    expect(await kinds('/crash')).toEqual(['server-error']);
    expect(await kinds('/plain-404')).toEqual(['not-problem']);
    expect(await kinds('/wrong-status')).toEqual(['not-problem']);
    expect(await kinds('/no-code')).toEqual(['not-problem']);
    expect(await kinds('/broken-json')).toEqual(['bad-json']);
    expect(await kinds('/good-problem')).toEqual([]);
  });

  it('flags another user’s data shown to the customer, and a secured operation answered without a token', async () => {
    expect(await kinds('/someone-else')).toEqual(['isolation']);
    expect(await kinds('/mine')).toEqual([]);
    expect(await kinds('/mine', 'anonymous')).toEqual(['auth-bypass']);
  });
});
