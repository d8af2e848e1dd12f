import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { expect, it, vi } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@emporium/kit';
import { describeOnDatabases } from '@emporium/testing';
import { hashPassword } from '../src/domain/passwords.ts';
import { freshIp, login, me, passTime, register, startIdentity, uniqueEmail, useIdentity } from './helpers.ts';

// Hashing as usual, counted: a test checks which requests cost a password hash.
vi.mock('../src/domain/passwords.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/domain/passwords.ts')>();
  return { ...real, hashPassword: vi.fn(real.hashPassword) };
});

const countStatuses = (answers: ReadonlyArray<{ statusCode: number }>) =>
  answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});

describeOnDatabases('auth routes', (kind) => {
  const fixture = useIdentity(kind);

  it('registers a customer and signs them in with a token that the published keys verify', async () => {
    const email = uniqueEmail('Ada');
    const res = await register(fixture.identity, { email, name: '  Ada Lovelace ' });
    expect(res.statusCode).toBe(201);
    const { user, accessToken } = res.json();
    expect(user).toEqual({ id: expect.any(String), email: email.toLowerCase(), name: 'Ada Lovelace', roles: ['customer'], createdAt: expect.any(String) });
    expect(res.json()).not.toHaveProperty('user.passwordHash');

    const jwks = (await fixture.identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks), { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
    expect(payload).toMatchObject({ sub: user.id, email: email.toLowerCase(), roles: ['customer'] });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(accessToken).kid);
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    const email = uniqueEmail('dup');
    expect((await register(fixture.identity, { email })).statusCode).toBe(201);
    const again = await register(fixture.identity, { email: email.toUpperCase(), name: 'Someone Else' });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ status: 409, code: 'IDENTITY_EMAIL_TAKEN' });
  });

  it('signs in with the right password, ignoring the case of the email', async () => {
    const email = uniqueEmail('login');
    const registered = (await register(fixture.identity, { email, password: 'open sesame 123' })).json();
    const res = await login(fixture.identity, email.toUpperCase(), 'open sesame 123');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: registered.user });
    const profile = await me(fixture.identity, body.accessToken);
    expect(profile.json()).toEqual(registered.user);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const email = uniqueEmail('wrong');
    await register(fixture.identity, { email, password: 'the real password' });
    const wrong = await login(fixture.identity, email, 'not the password');
    const unknown = await login(fixture.identity, uniqueEmail('nobody'), 'not the password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'IDENTITY_INVALID_CREDENTIALS', status: 401 });
      expect(res.json()).not.toHaveProperty('accessToken');
    }
    // Alike but for the correlation id, which every answer has its own of.
    expect({ ...wrong.json(), correlationId: undefined }).toEqual({ ...unknown.json(), correlationId: undefined });
  });

  it('makes an address that keeps guessing the admin password wait twice as long each time, and still lets the admin in from elsewhere', async () => {
    const admin = 'admin@emporium.dev';
    const attacker = freshIp();
    // 1. Five guesses are free.
    for (let i = 1; i <= 5; i++) expect((await login(fixture.identity, admin, `guess number ${i}`, attacker)).statusCode, `guess ${i}`).toBe(401);

    // 2. Then each guess waits, and once a wait has passed the next guess is checked and earns a longer one.
    const waits: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const held = await login(fixture.identity, admin, `early guess ${round}`, attacker);
      expect(held.statusCode).toBe(429);
      expect(held.headers['content-type']).toContain('application/problem+json');
      expect(held.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(held.json().detail).toContain('to this account from this address');
      waits.push(Number(held.headers['retry-after']));
      await passTime(fixture.database.db, waits.at(-1)!);
      expect((await login(fixture.identity, admin, `late guess ${round}`, attacker)).statusCode).toBe(401);
    }
    const [first, second, third] = waits as [number, number, number];
    expect(first).toBeGreaterThanOrEqual(1);
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);

    // 3. The guessing address waits even with the right password; the admin at another address does not.
    expect((await login(fixture.identity, admin, 'emporium-admin', attacker)).statusCode).toBe(429);
    expect((await login(fixture.identity, admin, 'emporium-admin', freshIp())).statusCode).toBe(200);
  });

  it('never lets guesses spread over many addresses lock the owner out of an address they signed in from', async () => {
    const email = uniqueEmail('targeted');
    await register(fixture.identity, { email, password: 'the real password' });
    const home = freshIp();
    expect((await login(fixture.identity, email, 'the real password', home)).statusCode).toBe(200);

    // 1. 25 addresses guess once each: after 20 failures for the account, new addresses must wait.
    const answers = [];
    for (let i = 1; i <= 25; i++) answers.push(await login(fixture.identity, email, `guess number ${i}`, freshIp()));
    expect(answers.map((r) => r.statusCode)).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
    expect(answers.at(-1)!.json().detail).toContain('addresses it has not signed in from before');

    // 2. The owner, at home, is not held back: neither a typo nor the right password waits.
    expect((await login(fixture.identity, email, 'the real pasword', home)).statusCode).toBe(401);
    expect((await login(fixture.identity, email, 'the real password', home)).statusCode).toBe(200);
  });

  it('holds back an unknown email the same way, so the wait tells nothing about who has an account', async () => {
    const real = uniqueEmail('real');
    await register(fixture.identity, { email: real, password: 'the real password' });
    const held = [];
    for (const email of [real, uniqueEmail('ghost')]) {
      const ip = freshIp();
      for (let i = 1; i <= 5; i++) expect((await login(fixture.identity, email, `guess number ${i}`, ip)).statusCode).toBe(401);
      held.push(await login(fixture.identity, email, 'guess number 6', ip));
    }
    expect(held.map((r) => r.statusCode)).toEqual([429, 429]);
    const [real429, ghost429] = held.map((r) => r.json().detail.replace(/\d+ seconds/, 'N seconds'));
    expect(real429).toBe(ghost429);
  });

  it('forgets earlier failures from an address after a successful sign-in from it', async () => {
    const email = uniqueEmail('forgetful');
    await register(fixture.identity, { email, password: 'the real password' });
    const ip = freshIp();
    await Promise.all([1, 2, 3, 4].map((i) => login(fixture.identity, email, `guess number ${i}`, ip)));
    expect((await login(fixture.identity, email, 'the real password', ip)).statusCode).toBe(200);
    const again = await Promise.all([1, 2, 3, 4].map((i) => login(fixture.identity, email, `typo number ${i}`, ip)));
    expect(again.map((r) => r.statusCode)).toEqual([401, 401, 401, 401]);
    expect((await login(fixture.identity, email, 'the real password', ip)).statusCode).toBe(200);
  });

  it('lets no more than 5 of a burst of parallel guesses from one address through to the password check', async () => {
    const email = uniqueEmail('burst');
    await register(fixture.identity, { email, password: 'the real password' });
    const ip = freshIp();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(fixture.identity, email, `parallel guess ${i}`, ip)));
    expect(countStatuses(answers)).toEqual({ 401: 5, 429: 7 });
  });

  it('lets no more failures for one account through than its limit, from a parallel burst over many addresses', async () => {
    // A replica with a small account-wide limit on the same database: the counters are shared.
    const strict = await startIdentity(fixture.database.db, { LOGIN_ACCOUNT_FREE_FAILURES: '4' });
    try {
      const email = uniqueEmail('spread');
      await register(strict, { email, password: 'the real password' });
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => login(strict, email, `parallel guess ${i}`, freshIp())));
      expect(countStatuses(answers)).toEqual({ 401: 4, 429: 6 });
    } finally {
      await strict.close();
    }
  });

  it('limits failed sign-ins per client address across emails', async () => {
    // A replica with a small per-address limit on the same database: the counters are shared.
    const strict = await startIdentity(fixture.database.db, { LOGIN_MAX_FAILURES_PER_IP: '3' });
    try {
      const email = uniqueEmail('shared-ip');
      await register(strict, { email, password: 'the real password' });
      const ip = freshIp();
      for (let i = 1; i <= 3; i++) expect((await login(strict, uniqueEmail('spray'), 'password123', ip)).statusCode).toBe(401);

      const blocked = await login(strict, email, 'the real password', ip);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().detail).toContain('from this address');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await login(strict, email, 'the real password', freshIp())).statusCode).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('limits registrations per address to 10 in 10 minutes, taken emails included: the 11th is 429 with Retry-After', async () => {
    const ip = freshIp();
    const email = uniqueEmail('first');
    expect((await register(fixture.identity, { email }, ip)).statusCode).toBe(201);
    for (let i = 2; i <= 10; i++) expect((await register(fixture.identity, { email }, ip)).statusCode, `registration ${i}`).toBe(409);

    const late = uniqueEmail('late');
    const held = await register(fixture.identity, { email: late }, ip);
    expect(held.statusCode).toBe(429);
    expect(held.headers['content-type']).toContain('application/problem+json');
    expect(held.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(held.json().detail).toContain('Too many registrations from this address');
    const retryAfter = Number(held.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600).toBe(true);
    expect((await login(fixture.identity, late, 'correct horse battery')).statusCode).toBe(401);

    // Another address registers the same email.
    expect((await register(fixture.identity, { email: late })).statusCode).toBe(201);
  });

  it('computes no password hash for a registration that is refused: taken email, or too many from the address', async () => {
    const strict = await startIdentity(fixture.database.db, { REGISTER_MAX_PER_IP: '2' });
    try {
      const ip = freshIp();
      const email = uniqueEmail('taken');
      expect((await register(strict, { email }, ip)).statusCode).toBe(201);
      vi.mocked(hashPassword).mockClear();
      expect((await register(strict, { email: email.toUpperCase() }, ip)).statusCode).toBe(409);
      expect((await register(strict, {}, ip)).statusCode).toBe(429);
      expect(hashPassword).not.toHaveBeenCalled();
    } finally {
      await strict.close();
    }
  });

  it('stores names and emails with quotes verbatim', async () => {
    const email = `o'brien-${uniqueEmail()}`;
    const res = await register(fixture.identity, { email, name: "Robert'); DROP TABLE users;--", password: "' OR 1=1 --" });
    expect(res.statusCode).toBe(201);
    expect(res.json().user.name).toBe("Robert'); DROP TABLE users;--");
    const signedIn = await login(fixture.identity, email, "' OR 1=1 --");
    expect(signedIn.statusCode).toBe(200);
    expect((await me(fixture.identity, signedIn.json().accessToken)).json().name).toBe("Robert'); DROP TABLE users;--");
  });
});
