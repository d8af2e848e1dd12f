import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@emporium/kit';
import { describeOnDatabases } from '@emporium/testing';
import { freshIp, login, me, register, startIdentity, uniqueEmail, useIdentity } from './helpers.ts';

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
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('locks an email after 5 failed sign-ins: the 6th is 429 with Retry-After, even with the right password', async () => {
    const email = uniqueEmail('locked');
    await register(fixture.identity, { email, password: 'the real password' });
    for (let i = 1; i <= 5; i++) expect((await login(fixture.identity, email, `guess number ${i}`)).statusCode, `attempt ${i}`).toBe(401);

    const sixth = await login(fixture.identity, email, 'the real password');
    expect(sixth.statusCode).toBe(429);
    expect(sixth.headers['content-type']).toContain('application/problem+json');
    expect(sixth.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900).toBe(true);

    // Another account from the same addresses is unaffected.
    const other = uniqueEmail('bystander');
    await register(fixture.identity, { email: other, password: 'the real password' });
    expect((await login(fixture.identity, other, 'the real password')).statusCode).toBe(200);
  });

  it('locks an unknown email the same way, so the lock tells nothing about who has an account', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 1; i <= 5; i++) expect((await login(fixture.identity, email, `guess number ${i}`)).statusCode).toBe(401);
    expect((await login(fixture.identity, email, 'guess number 6')).statusCode).toBe(429);
  });

  it('lets the owner back in once the window has passed', async () => {
    const email = uniqueEmail('patient');
    await register(fixture.identity, { email, password: 'the real password' });
    await Promise.all([1, 2, 3, 4, 5].map((i) => login(fixture.identity, email, `guess number ${i}`)));
    expect((await login(fixture.identity, email, 'the real password')).statusCode).toBe(429);

    // Fifteen minutes pass (the throttle reads time from the database clock).
    await fixture.database.db.query(`UPDATE login_throttle SET window_started_at = window_started_at - interval '15 minutes' WHERE key = $1`, [`email:${email}`]);
    expect((await login(fixture.identity, email, 'the real password')).statusCode).toBe(200);
  });

  it('forgets earlier failures after a successful sign-in', async () => {
    const email = uniqueEmail('forgetful');
    await register(fixture.identity, { email, password: 'the real password' });
    await Promise.all([1, 2, 3, 4].map((i) => login(fixture.identity, email, `guess number ${i}`)));
    expect((await login(fixture.identity, email, 'the real password')).statusCode).toBe(200);
    const again = await Promise.all([1, 2, 3, 4].map((i) => login(fixture.identity, email, `typo number ${i}`)));
    expect(again.map((r) => r.statusCode)).toEqual([401, 401, 401, 401]);
    expect((await login(fixture.identity, email, 'the real password')).statusCode).toBe(200);
  });

  it('lets no more than 5 of a burst of parallel guesses through to the password check', async () => {
    const email = uniqueEmail('burst');
    await register(fixture.identity, { email, password: 'the real password' });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(fixture.identity, email, `parallel guess ${i}`)));
    const counts = answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 401: 5, 429: 7 });
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
