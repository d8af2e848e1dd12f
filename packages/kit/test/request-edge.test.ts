import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { buildService, createLogger, Type, type BuiltService, type ServiceDefinition } from '@emporium/kit';
import { testTokens } from '@emporium/testing';
import { inAddressList, normalizePath, parseAddressList } from '../src/request-edge.ts';
import { isText } from '../src/validation.ts';

const tokens = await testTokens();
const METRICS_TOKEN = 'scrape-token-for-tests-0123456789';

/** A service with a body, a query, a parameter and a header, to reach every part of a request. */
const echo: ServiceDefinition = {
  name: 'echo',
  description: 'Echoes what it is sent, for testing the kit',
  defaultPort: 0,
  setup(app) {
    const Name = Type.String({ minLength: 1, maxLength: 10 });
    app.post('/things', { schema: { body: Type.Object({ name: Name, tags: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: false }) } }, async (request) => request.body);
    app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String() }), querystring: Type.Object({ q: Type.Optional(Type.String()) }) } }, async (request) => ({ id: request.params.id, q: request.query.q, path: request.url }));
    app.delete('/things/:id', async () => ({ deleted: true }));
    app.get('/whoami', async (request) => ({ ip: request.ip }));
  },
};

/** Sends raw bytes to a listener and resolves with everything it answers before closing. */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('request edge', () => {
  let service: BuiltService;
  let url: string;
  beforeAll(async () => {
    service = await buildService(echo, { source: { METRICS_TOKEN }, log: createLogger('echo', 'silent'), verifier: tokens.verifier });
    url = await service.listen(0);
  });
  afterAll(() => service.close());
  const inject = (opts: InjectOptions) => service.app.inject(opts);

  describe('text in every string field', () => {
    it.each([
      ['a NUL', 'ab\u0000c'],
      ['an escape character', 'ab\u001bc'],
      ['a lone high surrogate', 'ab\ud83dc'],
      ['a lone low surrogate', 'ab\ude00c'],
      ['a C1 control', 'ab\u0085c'],
    ])('refuses %s in a body field and an array item with a 400 problem', async (_what, bad) => {
      const body = await inject({ method: 'POST', url: '/things', payload: { name: bad } });
      expect(body.statusCode).toBe(400);
      expect(body.headers['content-type']).toContain('application/problem+json');
      expect(body.json().errors).toEqual([{ path: 'body/name', message: 'must not contain control characters or unpaired UTF-16 surrogates' }]);
      expect((await inject({ method: 'POST', url: '/things', payload: { name: 'ok', tags: ['fine', bad] } })).statusCode).toBe(400);
    });

    it('refuses control characters in a query and a path parameter', async () => {
      expect((await inject({ method: 'GET', url: '/things/1?q=ab%00c' })).statusCode).toBe(400);
      expect((await inject({ method: 'GET', url: '/things/ab%1Bc' })).statusCode).toBe(400);
      expect((await inject({ method: 'GET', url: '/things/abc?q=fine' })).statusCode).toBe(200);
    });

    it('accepts ordinary text: accents, emoji in pairs, tabs and new lines', async () => {
      const res = await inject({ method: 'POST', url: '/things', payload: { name: 'Zoë 🛒', tags: ['a\tb', 'line\nbreak'] } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ name: 'Zoë 🛒', tags: ['a\tb', 'line\nbreak'] });
    });

    it('says which strings are text', () => {
      expect(isText('plain 🛒 text\n')).toBe(true);
      expect(isText('\ud83d')).toBe(false);
      expect(isText('x\u007f')).toBe(false);
    });
  });

  describe('one length rule for the API and the events', () => {
    it('counts UTF-16 code units, as event validation does, so what the API accepts an event accepts', async () => {
      const schema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 10 }) });
      const fiveEmoji = '🛒'.repeat(5);
      const sixEmoji = '🛒'.repeat(6);
      // Five emoji are ten code units: at the limit for both.
      expect((await inject({ method: 'POST', url: '/things', payload: { name: fiveEmoji } })).statusCode).toBe(200);
      expect(Value.Check(schema, { name: fiveEmoji })).toBe(true);
      // Six are six code points but twelve code units: refused by both.
      expect((await inject({ method: 'POST', url: '/things', payload: { name: sixEmoji } })).statusCode).toBe(400);
      expect(Value.Check(schema, { name: sixEmoji })).toBe(false);
    });
  });

  describe('paths', () => {
    it.each([
      ['/things/1', '/things/1'],
      ['/%74hings/1', '/things/1'],
      ['//things//1', '/things/1'],
      ['/x/../things/./1', '/things/1'],
      ['/things/a%2fb', '/things/a%2Fb'],
      ['/things/1?q=%61', '/things/1?q=%61'],
      ['/', '/'],
      ['/things/', '/things/'],
      ['/../..', '/'],
      ['*', '*'],
    ])('normalises %s to %s', (given, expected) => {
      expect(normalizePath(given)).toBe(expected);
    });

    it('routes a percent-encoded path as the plain one, and the handler sees the plain one', async () => {
      const res = await inject({ method: 'GET', url: '/%74hings/%31' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: '1', path: '/things/1' });
    });

    it('answers a known path with a wrong method with 405, Allow and a problem', async () => {
      const res = await inject({ method: 'PUT', url: '/things/7' });
      expect(res.statusCode).toBe(405);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(String(res.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
      expect(res.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
      expect((await inject({ method: 'PUT', url: '/nothing/here' })).statusCode).toBe(404);
    });
  });

  describe('what Node refuses before routing', () => {
    it('answers headers that are too large with a 431 problem', async () => {
      const answer = await raw(url, `GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(answer).toContain('Content-Type: application/problem+json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    });

    it('answers an HTTP/1.1 request without Host with a 400 problem', async () => {
      const answer = await raw(url, 'GET /things/1 HTTP/1.1\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, detail: 'An HTTP/1.1 request must carry a Host header.' });
    });

    it('answers an Expect it cannot meet with a 417 problem', async () => {
      const answer = await raw(url, 'GET /things/1 HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 417 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 417, code: 'EXPECTATION_FAILED' });
    });

    it('answers a malformed header with a 400 problem', async () => {
      const answer = await raw(url, 'GET /things/1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
    });
  });

  describe('log lines', () => {
    it('carry the correlation id and the trace id of their request', async () => {
      const lines: Array<Record<string, unknown>> = [];
      const sink = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
      const logged = await buildService(
        {
          ...echo,
          setup(app) {
            app.get('/noisy', async (request) => {
              request.log.info('handling');
              return { ok: true };
            });
          },
        },
        { source: {}, log: pino({ level: 'info' }, sink), verifier: tokens.verifier },
      );
      try {
        const res = await logged.app.inject({ method: 'GET', url: '/noisy', headers: { 'x-correlation-id': 'log-check-1' } });
        const traceId = /^00-([0-9a-f]{32})-/.exec(String(res.headers.traceparent))![1];
        expect(lines.filter((l) => l.msg === 'handling')).toEqual([expect.objectContaining({ correlationId: 'log-check-1', traceId })]);
      } finally {
        await logged.close();
      }
    });
  });

  describe('problems', () => {
    it('carry the correlation id of the response', async () => {
      const res = await inject({ method: 'GET', url: '/nowhere', headers: { 'x-correlation-id': 'edge-test-1' } });
      expect(res.headers['x-correlation-id']).toBe('edge-test-1');
      expect(res.json().correlationId).toBe('edge-test-1');
    });
  });

  describe('metrics', () => {
    it('are refused to anonymous callers and customers, and served for the scrape token or an admin', async () => {
      const anonymous = await inject({ method: 'GET', url: '/metrics' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toContain('application/problem+json');
      expect((await inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
      expect((await inject({ method: 'GET', url: '/metrics', headers: await tokens.auth() })).statusCode).toBe(403);
      expect((await inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(200);
      expect((await inject({ method: 'GET', url: '/metrics', headers: await tokens.auth({ roles: ['admin'] }) })).statusCode).toBe(200);
    });
  });

  describe('X-Forwarded-For', () => {
    it('is believed from a trusted proxy only', async () => {
      const trusted = await inject({ method: 'GET', url: '/whoami', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(trusted.json().ip).toBe('203.0.113.9');
      const stranger = await inject({ method: 'GET', url: '/whoami', remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(stranger.json().ip).toBe('198.51.100.7');
    });

    it('follows TRUSTED_PROXIES', async () => {
      const other = await buildService(echo, { source: { TRUSTED_PROXIES: '10.1.0.0/16' }, log: createLogger('echo', 'silent'), verifier: tokens.verifier });
      try {
        const fromLoopback = await other.app.inject({ method: 'GET', url: '/whoami', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } });
        expect(fromLoopback.json().ip).toBe('127.0.0.1');
        const fromProxy = await other.app.inject({ method: 'GET', url: '/whoami', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '203.0.113.9' } });
        expect(fromProxy.json().ip).toBe('203.0.113.9');
      } finally {
        await other.close();
      }
    });

    it('reads address lists, IPv4-mapped addresses included, and refuses what is not one', () => {
      const list = parseAddressList('127.0.0.0/8, ::1, 10.0.0.5')!;
      expect(inAddressList(list, '127.4.5.6')).toBe(true);
      expect(inAddressList(list, '::ffff:127.0.0.1')).toBe(true);
      expect(inAddressList(list, '::1')).toBe(true);
      expect(inAddressList(list, '10.0.0.6')).toBe(false);
      expect(parseAddressList('10.0.0.0/33')).toBeUndefined();
      expect(parseAddressList('gateway')).toBeUndefined();
    });
  });
});
