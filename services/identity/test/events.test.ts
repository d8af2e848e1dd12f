import { expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { register, uniqueEmail, useIdentity } from './helpers.ts';

describeOnDatabases('identity events', (kind) => {
  const fixture = useIdentity(kind);

  const registered = async () =>
    (await fixture.identity.ctx.db.query<{ subject: string; data: Record<string, unknown> }>("SELECT subject, envelope->'data' AS data FROM outbox WHERE type = 'user.registered' ORDER BY seq")).rows;

  it('writes user.registered with the new account, and none for a taken email', async () => {
    const email = uniqueEmail('events');
    const res = await register(fixture.identity, { email, name: 'Grace Hopper' });
    expect(res.statusCode).toBe(201);
    const { user } = res.json();
    expect((await registered()).filter((e) => e.subject === user.id)).toEqual([{ subject: user.id, data: { userId: user.id, email, name: 'Grace Hopper' } }]);

    const before = (await registered()).length;
    expect((await register(fixture.identity, { email: email.toUpperCase() })).statusCode).toBe(409);
    expect(await registered()).toHaveLength(before);
  });
});
