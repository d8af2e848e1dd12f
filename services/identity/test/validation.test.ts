import { expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { freshIp, login, uniqueEmail, useIdentity } from './helpers.ts';

interface BadRequest {
  what: string;
  url: '/auth/register' | '/auth/login';
  /** A raw body (sent as is) or an object (sent as JSON). */
  body: string | Record<string, unknown>;
  contentType?: string;
  status: number;
  code?: string;
  /** A field the answer's `errors` must name. */
  path?: string;
}

const valid = { email: 'valid@example.com', password: 'long enough password', name: 'Valid Name' };

const cases: BadRequest[] = [
  { what: 'broken JSON', url: '/auth/register', body: '{"email": "a@b.co", ', status: 400, code: 'MALFORMED_JSON' },
  { what: 'an empty JSON body', url: '/auth/login', body: '', status: 400, code: 'MALFORMED_JSON' },
  { what: 'JSON null', url: '/auth/register', body: 'null', status: 400 },
  { what: 'a JSON array', url: '/auth/register', body: '[]', status: 400 },
  { what: 'a form body', url: '/auth/login', body: 'email=a@b.co&password=x', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { what: 'a prototype-poisoning body', url: '/auth/register', body: `{"email":"p@example.com","password":"long enough password","name":"P","__proto__":{"roles":["admin"]}}`, status: 400 },
  { what: 'a number as email', url: '/auth/register', body: { ...valid, email: 42 }, status: 400, code: 'VALIDATION_FAILED', path: 'body/email' },
  { what: 'a boolean as password', url: '/auth/login', body: { email: valid.email, password: true }, status: 400, code: 'VALIDATION_FAILED', path: 'body/password' },
  { what: 'an array as name', url: '/auth/register', body: { ...valid, name: ['Ada'] }, status: 400, path: 'body/name' },
  { what: 'missing fields', url: '/auth/register', body: {}, status: 400, code: 'VALIDATION_FAILED', path: 'body/password' },
  { what: 'a missing password', url: '/auth/login', body: { email: valid.email }, status: 400, path: 'body/password' },
  { what: 'a self-assigned admin role', url: '/auth/register', body: { ...valid, roles: ['admin'] }, status: 400, path: 'body/roles' },
  { what: 'an extra field at login', url: '/auth/login', body: { email: valid.email, password: 'x', remember: true }, status: 400, path: 'body/remember' },
  { what: 'an email longer than 254', url: '/auth/register', body: { ...valid, email: `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com` }, status: 400, path: 'body/email' },
  { what: 'a password shorter than 8', url: '/auth/register', body: { ...valid, password: '1234567' }, status: 400, path: 'body/password' },
  { what: 'a password longer than 128', url: '/auth/register', body: { ...valid, password: 'p'.repeat(129) }, status: 400, path: 'body/password' },
  { what: 'an empty password at login', url: '/auth/login', body: { email: valid.email, password: '' }, status: 400, path: 'body/password' },
  { what: 'a name longer than 100', url: '/auth/register', body: { ...valid, name: 'n'.repeat(101) }, status: 400, path: 'body/name' },
  { what: 'a blank name', url: '/auth/register', body: { ...valid, name: '   ' }, status: 400, path: 'body/name' },
  { what: 'a name with a NUL byte', url: '/auth/register', body: { ...valid, name: 'Ada\u0000Lovelace' }, status: 400, path: 'body/name' },
  { what: 'SQL injection as email', url: '/auth/register', body: { ...valid, email: "' OR 1=1 --" }, status: 400, path: 'body/email' },
  { what: 'SQL injection after an email at login', url: '/auth/login', body: { email: "admin@emporium.dev' --", password: 'x' }, status: 400, path: 'body/email' },
  { what: 'an email without a domain', url: '/auth/register', body: { ...valid, email: 'ada@' }, status: 400, path: 'body/email' },
  { what: 'a body over 16 KiB', url: '/auth/register', body: { ...valid, name: 'n'.repeat(20_000) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

describeOnDatabases('request validation', (kind) => {
  const fixture = useIdentity(kind);

  it.each(cases)('answers $what with $status problem+json', async (c) => {
    const res = await fixture.identity.app.inject({
      method: 'POST',
      url: c.url,
      headers: { 'content-type': c.contentType ?? 'application/json' },
      payload: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
      remoteAddress: freshIp(),
    });
    expect(res.statusCode).toBe(c.status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ status: c.status, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String) });
    if (c.code) expect(problem.code).toBe(c.code);
    if (c.path) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(c.path);
  });

  it('creates no account from any rejected registration', async () => {
    const { rows } = await fixture.database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE email <> 'admin@emporium.dev'`);
    expect(rows[0]!.n).toBe(0);
  });

  it('answers an injection string as password with a plain 401', async () => {
    const res = await login(fixture.identity, uniqueEmail(), "' OR '1'='1");
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('IDENTITY_INVALID_CREDENTIALS');
  });

  it('ignores injection strings in the query and path', async () => {
    const query = await fixture.identity.app.inject({ method: 'GET', url: `/users/me?id=${encodeURIComponent("' OR 1=1 --")}` });
    expect(query.statusCode).toBe(401);
    const path = await fixture.identity.app.inject({ method: 'GET', url: `/users/${encodeURIComponent("1' OR '1'='1")}` });
    expect(path.statusCode).toBe(404);
    expect(path.headers['content-type']).toContain('application/problem+json');
  });
});
