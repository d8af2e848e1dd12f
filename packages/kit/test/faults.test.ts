import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '@emporium/contracts/events';
import type { Fault } from '@emporium/contracts/ops';
import {
  buildService,
  createLogger,
  FAULT_FLAGS,
  faultExempt,
  faultsFromFlagd,
  faultsToFlagd,
  InProcessTransport,
  Type,
  writeFlagsFile,
  type BuiltService,
  type ServiceDefinition,
  type Upstream,
} from '@emporium/kit';
import { cloudEvent, deliver, pglite, testTokens, type TestDatabase, type TestTokens } from '@emporium/testing';

/** An event the test service handles, published by a service that does not exist here. */
const made = defineEvent({
  type: 'thing.made',
  version: 1,
  producer: 'maker',
  subject: 'the thing id',
  description: 'A thing was made.',
  delivery: 'at least once',
  schema: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
});

const silent = createLogger('test', 'silent');

/** Polls `check` until it holds (the file's change has been seen), for at most 5 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('faults from the flags file', () => {
  let dir: string;
  let file: string;
  let tokens: TestTokens;
  let admin: { authorization: string };
  let database: TestDatabase;
  let transport: InProcessTransport;
  let service: BuiltService;
  let stub: Server;
  let stubCalls = 0;
  const exits: number[] = [];
  const handled: number[] = [];

  /** The faults the test aims at the `things` service. */
  const set = (faults: Array<Partial<Fault> & Pick<Fault, 'kind'>>) =>
    writeFlagsFile(file, faultsToFlagd(faults.map((f) => ({ service: 'things', enabled: true, ...f }))));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emporium-faults-'));
    file = join(dir, 'flags', 'faults.flagd.json');
    const migrations = join(dir, 'migrations');
    await import('node:fs/promises').then((fs) => fs.mkdir(migrations));
    await writeFile(join(migrations, '001_things.sql'), 'CREATE TABLE things (id serial PRIMARY KEY);');
    stub = createServer((_req, res) => {
      stubCalls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;

    tokens = await testTokens();
    admin = await tokens.auth({ roles: ['admin'] });
    database = await pglite.open('things');
    transport = new InProcessTransport();
    const def: ServiceDefinition = {
      name: 'things',
      description: 'Things, for testing faults',
      defaultPort: 0,
      migrations,
      setup(app, ctx) {
        let upstream: Upstream | undefined;
        app.get('/things', async () => ({ ok: true }));
        app.get('/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
        app.get('/db', async () => (await ctx.db.query('SELECT count(*)::int AS n FROM things')).rows[0]);
        app.get('/call', async () => {
          upstream ??= ctx.upstream({ name: 'stub', urls: [stubUrl], retries: 0, timeoutMs: 300, halfOpenAfterMs: 50 });
          return (await upstream.json<{ ok: boolean }>({ method: 'GET', path: '/' })).body;
        });
        ctx.messaging.subscribe(made, 'count-things', async (event) => void handled.push(event.data.n), { maxDeliveries: 2 });
      },
    };
    service = await buildService(def, {
      source: { LOG_LEVEL: 'silent', FAULTS_FILE: file, FAULTS_POLL_MS: '25' },
      db: database.db,
      transport,
      verifier: tokens.verifier,
      log: silent,
      faults: { exit: (code) => void exits.push(code) },
    });
    await service.start();
  });

  afterAll(async () => {
    await service?.close();
    await transport?.close();
    await database?.close();
    await new Promise((r) => stub?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string) => service.app.inject({ method: 'GET', url });
  const metrics = async () => (await service.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
  type Spans = Array<{ name: string; status: string; events: Array<{ name: string; attributes: Record<string, unknown> }> }>;
  /** The span named `name` of the request's trace, once it has ended. */
  const spanOf = async (traceparent: string, name: string) => {
    const traceId = traceparent.split('-')[1];
    let found: Spans[number] | undefined;
    await until(async () => {
      const res = await service.app.inject({ method: 'GET', url: `/ops/traces/${traceId}`, headers: admin });
      found = res.statusCode === 200 ? res.json<{ data: Spans }>().data.find((s) => s.name === name) : undefined;
      return found !== undefined;
    }, `the span ${name} has ended`);
    return found!;
  };

  it('creates the file when it does not exist, and injects nothing while it holds no fault', async () => {
    expect(await readdir(join(dir, 'flags'))).toContain('faults.flagd.json');
    expect(service.ctx.faults.enabled).toBe(true);
    expect(service.ctx.faults.routesArmed).toBe(false);
    expect((await get('/things')).statusCode).toBe(200);
  });

  it('answers a route 503 FAULT_INJECTED while its error fault is on, with the metric and the span event, and stops when the file changes back', async () => {
    await set([{ kind: 'route-error', target: 'GET /things', value: 1 }]);
    await until(async () => (await get('/things')).statusCode === 503, 'the error fault is on');
    const res = await get('/things');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 503, code: 'FAULT_INJECTED' });
    // Another route, and the service's own plumbing, are not hit.
    expect((await get('/things/7')).statusCode).toBe(200);
    expect((await get('/health/ready')).statusCode).toBe(200);

    expect(await metrics()).toMatch(/faults_injected_total\{kind="route-error",target="GET \/things",service="things"\} [1-9]/);
    const server = await spanOf(String(res.headers.traceparent), 'GET /things');
    expect(server.status).toBe('error');
    expect(server.events).toContainEqual(expect.objectContaining({
      name: 'fault.injected',
      attributes: { 'fault.kind': 'route-error', 'fault.flag': FAULT_FLAGS['route-error'], 'fault.target': 'GET /things', 'fault.value': 1 },
    }));

    // Switched off (kept in the file, not enabled): the route answers again.
    await set([{ kind: 'route-error', target: 'GET /things', value: 1, enabled: false }]);
    await until(async () => (await get('/things')).statusCode === 200, 'the error fault is off');
    expect(service.ctx.faults.routesArmed).toBe(false);
  });

  it('adds latency to the routes a fault targets, and to no other route or service', async () => {
    await set([{ kind: 'route-latency', target: '/things/:id', value: 150 }, { kind: 'route-error', service: 'elsewhere', value: 1 }]);
    await until(() => service.ctx.faults.routesArmed, 'the latency fault is seen');
    const started = Date.now();
    expect((await get('/things/1')).statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const quick = Date.now();
    expect((await get('/things')).statusCode).toBe(200);
    expect(Date.now() - quick).toBeLessThan(140);
    await set([]);
    await until(() => !service.ctx.faults.routesArmed, 'no fault is on');
  });

  it('holds a hung request until the client gives up, or until the hang’s end, then answers 503', async () => {
    await set([{ kind: 'route-hang', target: 'GET /things', value: 250 }]);
    await until(() => service.ctx.faults.routesArmed, 'the hang fault is seen');
    const started = Date.now();
    const res = await get('/things');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(res.json()).toMatchObject({ status: 503, code: 'FAULT_INJECTED' });

    // Over a real connection, a client that gives up ends the hang on the server's side too.
    await set([]);
    await until(() => !service.ctx.faults.routesArmed, 'no fault is on');
    await set([{ kind: 'route-hang', target: 'GET /things', value: 60_000 }]);
    await until(() => service.ctx.faults.routesArmed, 'the long hang is seen');
    const url = await service.listen(0);
    const gaveUp = Date.now();
    await expect(fetch(`${url}/things`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(Date.now() - gaveUp).toBeLessThan(5_000);
    await until(async () => /faults_injected_total\{kind="route-hang",target="GET \/things",service="things"\} 2/.test(await metrics()), 'the second hang is counted');
    await set([]);
    await until(() => !service.ctx.faults.routesArmed, 'no fault is on');
  });

  it('crashes the process with exit code 70: at once when aimed at the service, on a request when aimed at a route', async () => {
    await set([{ kind: 'crash', target: 'GET /things' }]);
    await until(() => service.ctx.faults.routesArmed, 'the targeted crash is seen');
    expect(exits).toEqual([]);
    await get('/things/1');
    expect(exits).toEqual([]);
    await get('/things');
    expect(exits).toEqual([70]);

    await set([{ kind: 'crash' }]);
    await until(() => exits.length === 2, 'the service-wide crash');
    expect(exits).toEqual([70, 70]);
    expect(await metrics()).toMatch(/faults_injected_total\{kind="crash",target="the service",service="things"\} 1/);
    await set([]);
    await until(() => !service.ctx.faults.routesArmed, 'no fault is on');
  });

  it('fails an event handling while its error fault is on (retried, then dead-lettered), delays it with a latency fault, and lets it through when off', async () => {
    await set([{ kind: 'event-error', target: 'thing.made', value: 1 }]);
    await until(() => service.ctx.faults.eventsArmed, 'the event fault is seen');
    const failed = cloudEvent(made, { n: 1 }, 't-1');
    await deliver(transport, failed);
    expect(handled).toEqual([]);
    const letters = await service.ctx.messaging.deadLetters();
    expect(letters).toContainEqual(expect.objectContaining({ eventId: failed.id, attempts: 2, error: expect.stringContaining('fault injected: event-error') }));

    await set([]);
    await until(() => !service.ctx.faults.eventsArmed, 'no fault is on');
    await set([{ kind: 'event-latency', target: 'thing.made', value: 150 }]);
    await until(() => service.ctx.faults.eventsArmed, 'the latency fault is seen');
    const started = Date.now();
    await deliver(transport, cloudEvent(made, { n: 2 }, 't-2'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(handled).toEqual([2]);
    expect(await metrics()).toMatch(/faults_injected_total\{kind="event-latency",target="thing.made",service="things"\} 1/);

    await set([]);
    await until(() => !service.ctx.faults.eventsArmed, 'no fault is on');
    await deliver(transport, cloudEvent(made, { n: 3 }, 't-3'));
    expect(handled).toEqual([2, 3]);
  });

  it('fails calls to an upstream as unreachable, or makes them time out, while its faults are on', async () => {
    await set([{ kind: 'upstream-error', target: 'stub', value: 1 }]);
    await until(() => service.ctx.faults.upstreamsArmed, 'the upstream fault is seen');
    const before = stubCalls;
    const failed = await get('/call');
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(stubCalls).toBe(before);
    const client = await spanOf(String(failed.headers.traceparent), 'GET stub');
    expect(client.status).toBe('error');
    expect(client.events).toContainEqual(expect.objectContaining({ name: 'fault.injected', attributes: expect.objectContaining({ 'fault.kind': 'upstream-error', 'fault.target': 'stub' }) }));

    await set([{ kind: 'upstream-latency', target: 'stub', value: 1_000 }]);
    await until(async () => (await get('/call')).statusCode === 504, 'the call times out');
    await set([]);
    // The failures opened the breaker; it lets a trial call through after 50 ms.
    await until(async () => (await get('/call')).statusCode === 200, 'the upstream answers again');
    expect(stubCalls).toBeGreaterThan(before);
  });

  it('breaks the database connection while database-down is on: queries fail and readiness says so', async () => {
    await set([{ kind: 'database-down' }]);
    await until(() => service.ctx.faults.databaseDown, 'the database is down');
    expect((await get('/db')).statusCode).toBe(500);
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.database).toEqual({ status: 'failing', error: 'Connection terminated unexpectedly (fault injected: database-down)' });
    await expect(service.ctx.db.query('SELECT 1')).rejects.toMatchObject({ code: '08006' });
    await set([]);
    await until(() => !service.ctx.faults.databaseDown, 'the database is back');
    expect((await get('/db')).json()).toEqual({ n: 0 });
  });

  it('breaks the broker connection while broker-down is on: readiness fails and deliveries wait until it is back', async () => {
    await set([{ kind: 'broker-down' }]);
    await until(() => service.ctx.faults.brokerDown, 'the broker is down');
    expect((await get('/health/ready')).json().checks.broker).toMatchObject({ status: 'failing' });
    await expect(service.ctx.messaging.transport.publish([])).rejects.toThrow(/fault injected: broker-down/);
    const delivered = deliver(transport, cloudEvent(made, { n: 4 }, 't-4'));
    await new Promise((r) => setTimeout(r, 150));
    expect(handled).not.toContain(4);
    await set([]);
    await delivered;
    expect(handled).toContain(4);
    expect((await get('/health/ready')).statusCode).toBe(200);
  });
});

describe('faults without a file', () => {
  it('injects nothing, wraps nothing and registers no metric', async () => {
    const service = await buildService({ name: 'plain', description: 'no faults', defaultPort: 0, setup: (app) => void app.get('/x', async () => ({ ok: true })) }, { source: { LOG_LEVEL: 'silent' } });
    try {
      expect(service.ctx.faults.enabled).toBe(false);
      expect(service.ctx.faults.routesArmed).toBe(false);
      expect(service.ctx.faults.payment.latencyMs()).toBeUndefined();
      expect((await service.app.inject({ method: 'GET', url: '/x' })).statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('routes no fault reaches', () => {
  it('are the plumbing, the operators’ routes and the web app’s files', () => {
    for (const route of ['/health/live', '/health/ready', '/metrics', '/openapi.json', '/ops/traces', '/ops/dead-letters/:id/replay', '/api/v1/ops/faults', '/api/v1/ops/services', '/', '/*']) {
      expect(faultExempt(route), route).toBe(true);
    }
    for (const route of ['/products', '/api/v1/products/*', '/api/v1/openapi.json', '/operations']) expect(faultExempt(route), route).toBe(false);
  });
});

describe('the flags file format', () => {
  it('turns faults into one flagd flag per kind, targeted at their service and target, and back', () => {
    const faults: Fault[] = [
      { kind: 'route-latency', service: 'catalog', target: 'GET /api/v1/products', value: 200, enabled: true },
      { kind: 'route-latency', service: '*', value: 50, enabled: false },
      { kind: 'route-error', service: 'gateway', target: '/api/v1/orders/*', value: 0.5, enabled: true },
      { kind: 'database-down', service: 'orders', enabled: false },
    ];
    const file = faultsToFlagd(faults, { flags: { 'some.other-flag': { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on' } } });
    expect(file.flags['some.other-flag']).toBeDefined();
    expect(file.flags[FAULT_FLAGS['route-latency']]).toMatchObject({
      state: 'ENABLED',
      variants: { off: 0, f1: 200 },
      defaultVariant: 'off',
      targeting: {
        if: [
          {
            and: [
              { '==': [{ var: 'service' }, 'catalog'] },
              { '==': [{ var: 'method' }, 'GET'] },
              // The public path, and the service's own below /api/v1.
              {
                or: [
                  { '==': [{ var: 'route' }, '/api/v1/products'] },
                  { '==': [{ var: 'path' }, '/api/v1/products'] },
                  { '==': [{ var: 'route' }, '/products'] },
                  { '==': [{ var: 'path' }, '/products'] },
                ],
              },
            ],
          },
          'f1',
          'off',
        ],
      },
    });
    expect(file.flags[FAULT_FLAGS['route-error']]!.targeting).toEqual({
      if: [
        {
          and: [
            { '==': [{ var: 'service' }, 'gateway'] },
            {
              or: [
                { '==': [{ var: 'route' }, '/api/v1/orders/*'] },
                { '==': [{ var: 'path' }, '/api/v1/orders/*'] },
                { starts_with: [{ var: 'path' }, '/api/v1/orders/'] },
                { '==': [{ var: 'route' }, '/orders/*'] },
                { '==': [{ var: 'path' }, '/orders/*'] },
                { starts_with: [{ var: 'path' }, '/orders/'] },
              ],
            },
          ],
        },
        'f1',
        'off',
      ],
    });
    // A kind with no fault on is there, disabled, so the console can switch it on again.
    expect(file.flags[FAULT_FLAGS['database-down']]).toMatchObject({ state: 'DISABLED', variants: { on: true, off: false } });
    expect(faultsFromFlagd(file)).toEqual(faults);
  });
});
