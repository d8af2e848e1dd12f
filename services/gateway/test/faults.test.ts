import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '@emporium/contracts/ops';
import { buildService, FAULT_FLAGS, type BuiltService } from '@emporium/kit';
import { testTokens, type TestTokens } from '@emporium/testing';
import gateway from '../src/service.ts';

/** Polls `check` until it holds, for at most 5 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PUT and GET /api/v1/ops/faults', () => {
  let dir: string;
  let file: string;
  let tokens: TestTokens;
  let admin: { authorization: string };
  let gw: BuiltService;
  let bare: BuiltService;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emporium-gateway-faults-'));
    file = join(dir, 'faults.flagd.json');
    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    // A busy test machine must not look like an overloaded gateway (load shedding's 503).
    const quiet = { LOG_LEVEL: 'silent', SHED_EVENT_LOOP_DELAY_MS: '60000' };
    gw = await buildService(gateway, { source: { ...quiet, FAULTS_FILE: file, FAULTS_POLL_MS: '25' }, verifier: tokens.verifier });
    bare = await buildService(gateway, { source: quiet, verifier: tokens.verifier });
  });
  afterAll(async () => {
    await gw?.close();
    await bare?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const put = (faults: unknown, headers = admin, service = gw) => service.app.inject({ method: 'PUT', url: '/api/v1/ops/faults', headers, payload: { faults } });
  const get = (headers = admin, service = gw) => service.app.inject({ method: 'GET', url: '/api/v1/ops/faults', headers });

  it('is for admins only: 401 without a token, 403 for a customer, and the file stays as it was', async () => {
    const before = await readFile(file, 'utf8');
    for (const res of [await get({} as typeof admin), await put([], {} as typeof admin)]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const customer = await tokens.auth();
    expect((await get(customer)).statusCode).toBe(403);
    expect((await put([{ kind: 'crash', service: 'gateway', enabled: true }], customer)).statusCode).toBe(403);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('starts empty, writes the faults as flagd flags atomically, and reads them back', async () => {
    expect((await get()).json()).toEqual({ file, faults: [] });
    const faults: Fault[] = [
      { kind: 'route-latency', service: 'catalog', target: 'GET /api/v1/products', value: 250, enabled: true },
      { kind: 'event-error', service: 'shipping', target: 'order.confirmed', value: 0.5, enabled: false },
      { kind: 'payment-failure', service: 'payments', value: 1, enabled: true },
      { kind: 'database-down', service: 'orders', enabled: true },
    ];
    const res = await put(faults);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ file, faults });
    expect((await get()).json()).toEqual({ file, faults });

    const written = JSON.parse(await readFile(file, 'utf8'));
    expect(written.flags[FAULT_FLAGS['route-latency']]).toMatchObject({ state: 'ENABLED', variants: { off: 0, f1: 250 }, defaultVariant: 'off' });
    expect(written.flags[FAULT_FLAGS['event-error']]).toMatchObject({ state: 'DISABLED' });
    expect(written.flags[FAULT_FLAGS['database-down']]).toMatchObject({ state: 'ENABLED', variants: { on: true, off: false } });
    // Written to a temporary file and renamed: none is left behind.
    expect(await readdir(dir)).toEqual(['faults.flagd.json']);
  });

  it('keeps flags of the file that are not faults', async () => {
    const current = JSON.parse(await readFile(file, 'utf8'));
    current.flags['demo.banner'] = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' };
    await writeFile(file, JSON.stringify(current));
    expect((await put([])).statusCode).toBe(200);
    const written = JSON.parse(await readFile(file, 'utf8'));
    expect(Object.keys(written.flags)).toEqual(['demo.banner']);
  });

  it('refuses bad faults with 400 problem+json naming the field, and writes nothing', async () => {
    const before = await readFile(file, 'utf8');
    const cases: Array<[unknown, string]> = [
      [[{ kind: 'meteor', service: 'catalog', enabled: true }], 'body/faults/0/kind'],
      [[{ kind: 'route-latency', service: 'catalog', enabled: true }], 'body/faults/0/value'],
      [[{ kind: 'route-error', service: 'catalog', value: 2, enabled: true }], 'body/faults/0/value'],
      [[{ kind: 'route-hang', service: 'catalog', value: 1_000_000, enabled: true }], 'body/faults/0/value'],
      [[{ kind: 'database-down', service: 'orders', target: '/x', enabled: true }], 'body/faults/0/target'],
      [[{ kind: 'crash', service: 'orders', value: 1, enabled: true }], 'body/faults/0/value'],
      [[{ kind: 'route-error', service: 'catalog', target: 'FETCH /x', value: 1, enabled: true }], 'body/faults/0/target'],
      [[{ kind: 'payment-latency', service: 'catalog', value: 100, enabled: true }], 'body/faults/0/service'],
      [[{ kind: 'crash', service: 'Catalog!', enabled: true }], 'body/faults/0/service'],
      [[{ kind: 'crash', service: 'orders', enabled: true, extra: 1 }], 'body/faults/0/extra'],
    ];
    for (const [faults, path] of cases) {
      const res = await put(faults);
      expect(res.statusCode, JSON.stringify(faults)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { path: string }) => e.path), JSON.stringify(faults)).toContain(path);
    }
    expect((await gw.app.inject({ method: 'PUT', url: '/api/v1/ops/faults', headers: admin, payload: { faults: 'all' } })).statusCode).toBe(400);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('answers 409 problem+json when the gateway has no FAULTS_FILE (after checking the body)', async () => {
    for (const res of [await get(admin, bare), await put([], admin, bare)]) {
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'CONFLICT', detail: expect.stringContaining('FAULTS_FILE') });
    }
    expect((await put([{ kind: 'meteor' }], admin, bare)).statusCode).toBe(400);
  });

  it('applies what it writes to every process watching the file, but never to the faults routes themselves', async () => {
    // Every route of the gateway fails, its own included…
    expect((await put([{ kind: 'route-error', service: 'gateway', value: 1, enabled: true }])).statusCode).toBe(200);
    await until(async () => (await gw.app.inject({ method: 'GET', url: '/api/v1/asyncapi.json' })).statusCode === 503, 'the gateway sees the fault');
    const failed = await gw.app.inject({ method: 'GET', url: '/api/v1/asyncapi.json' });
    expect(failed.json()).toMatchObject({ code: 'FAULT_INJECTED' });
    // …but the operator can still read and switch the faults off.
    expect((await get()).statusCode).toBe(200);
    expect((await put([])).statusCode).toBe(200);
    await until(async () => (await gw.app.inject({ method: 'GET', url: '/api/v1/asyncapi.json' })).statusCode === 200, 'the fault is off');
  });
});
