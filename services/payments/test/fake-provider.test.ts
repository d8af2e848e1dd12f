import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnDatabases } from '@emporium/testing';
import { FakeProvider } from '../src/provider/fake-provider.ts';
import { InvalidCardError, ProviderUnavailableError } from '../src/provider/provider.ts';
import { startPayments, TEST_CARDS, usd, type Payments } from './helpers.ts';

const open = () => new AbortController().signal;

describeOnDatabases('the fake payment provider', (kind) => {
  let p: Payments;
  let provider: FakeProvider;
  beforeAll(async () => {
    p = await startPayments(kind);
    provider = new FakeProvider(p.built.ctx.db, { latencyMs: 0, failureRate: 0 });
  });
  afterAll(() => p?.close());

  const rows = async (prefix: string) =>
    (await p.built.ctx.db.query<{ operation: string }>('SELECT operation FROM provider_ledger WHERE idempotency_key LIKE $1', [`${prefix}%`])).rows;
  const token = async (cardNumber: string = TEST_CARDS.approved) => (await provider.tokenize({ cardNumber }, open())).token;
  const authorization = async (amount = usd(1_000)) => {
    const key = randomUUID();
    const answer = await provider.authorize({ idempotencyKey: `${key}:authorize`, amount, token: await token() }, open());
    if (!answer.approved) throw new Error('expected an approval');
    return { key, reference: answer.reference };
  };

  it('exchanges a card number for a token that expires, and keeps the last four digits but never the number', async () => {
    const card = await provider.tokenize({ cardNumber: '5555555555554444' }, open());
    expect(card).toEqual({ token: expect.stringMatching(/^tok_[0-9a-f]{32}$/), last4: '4444', brand: 'mastercard', expiresAt: expect.any(Date) });
    expect(card.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const { rows: stored } = await p.built.ctx.db.query<{ row: string }>('SELECT v::text AS row FROM provider_vault v WHERE token = $1', [card.token]);
    expect(stored[0]!.row).toContain('4444');
    expect(stored[0]!.row).not.toContain('5555555555554444');
    // Another replica's provider knows the token: the vault is shared.
    const replica = new FakeProvider(p.built.ctx.db, { latencyMs: 0, failureRate: 0 });
    expect(await replica.authorize({ idempotencyKey: `${randomUUID()}:authorize`, amount: usd(100), token: card.token }, open())).toMatchObject({ approved: true });
  });

  it('refuses to tokenize a number that fails the Luhn check, and stores nothing', async () => {
    const before = (await p.built.ctx.db.query('SELECT 1 FROM provider_vault')).rowCount;
    await expect(provider.tokenize({ cardNumber: '4242424242424241' }, open())).rejects.toBeInstanceOf(InvalidCardError);
    expect((await p.built.ctx.db.query('SELECT 1 FROM provider_vault')).rowCount).toBe(before);
  });

  it('answers the test cards through their tokens, and declines an expired token', async () => {
    const answer = async (card: string) => provider.authorize({ idempotencyKey: `${randomUUID()}:authorize`, amount: usd(100), token: await token(card) }, open());
    expect(await answer(TEST_CARDS.approved)).toMatchObject({ approved: true });
    expect(await answer(TEST_CARDS.declined)).toMatchObject({ approved: false, code: 'card_declined' });
    expect(await answer(TEST_CARDS.insufficientFunds)).toMatchObject({ approved: false, code: 'insufficient_funds' });
    const old = await token();
    await p.built.ctx.db.query("UPDATE provider_vault SET expires_at = now() - interval '1 second' WHERE token = $1", [old]);
    expect(await provider.authorize({ idempotencyKey: `${randomUUID()}:authorize`, amount: usd(100), token: old }, open())).toMatchObject({ approved: false, code: 'card_declined' });
    // Expired tokens are forgotten.
    expect(await provider.forgetExpiredTokens()).toBeGreaterThanOrEqual(1);
    expect((await p.built.ctx.db.query('SELECT 1 FROM provider_vault WHERE token = $1', [old])).rowCount).toBe(0);
  });

  it('answers a repeated idempotency key with its first answer, even after a restart', async () => {
    const key = `${randomUUID()}:authorize`;
    const first = await provider.authorize({ idempotencyKey: key, amount: usd(1_000), token: await token() }, open());
    // Same key, another card: still the first answer, and no second authorization.
    expect(await provider.authorize({ idempotencyKey: key, amount: usd(1_000), token: await token(TEST_CARDS.declined) }, open())).toEqual(first);
    const restarted = new FakeProvider(p.built.ctx.db, { latencyMs: 0, failureRate: 0 });
    expect(await restarted.authorize({ idempotencyKey: key, amount: usd(1_000), token: await token() }, open())).toEqual(first);
    expect(await rows(key)).toHaveLength(1);
  });

  it('captures only the authorized amount, in its currency, once', async () => {
    const { key, reference } = await authorization();
    expect(await provider.capture({ idempotencyKey: `${key}:c1`, reference, amount: usd(999) }, open())).toEqual({ ok: false, message: expect.stringContaining('Only the authorized 1000 USD') });
    expect(await provider.capture({ idempotencyKey: `${key}:c2`, reference, amount: { amount: 1_000, currency: 'EUR' } }, open())).toMatchObject({ ok: false });
    expect(await provider.capture({ idempotencyKey: `${key}:c3`, reference, amount: usd(1_000) }, open())).toEqual({ ok: true });
    expect(await provider.capture({ idempotencyKey: `${key}:c3`, reference, amount: usd(1_000) }, open())).toEqual({ ok: true });
    expect(await provider.capture({ idempotencyKey: `${key}:c4`, reference, amount: usd(1_000) }, open())).toEqual({ ok: false, message: 'The authorization is already captured.' });
    expect(await provider.void({ idempotencyKey: `${key}:v`, reference }, open())).toEqual({ ok: false, message: 'The authorization is captured; refund it instead.' });
  });

  it('refunds only what was captured, in the same currency', async () => {
    const { key, reference } = await authorization();
    expect(await provider.refund({ idempotencyKey: `${key}:r0`, reference, amount: usd(100) }, open())).toEqual({ ok: false, message: 'Nothing was captured on this authorization.' });
    await provider.capture({ idempotencyKey: `${key}:c`, reference, amount: usd(1_000) }, open());
    expect(await provider.refund({ idempotencyKey: `${key}:r1`, reference, amount: { amount: 100, currency: 'EUR' } }, open())).toMatchObject({ ok: false });
    expect(await provider.refund({ idempotencyKey: `${key}:r2`, reference, amount: usd(600) }, open())).toEqual({ ok: true });
    expect(await provider.refund({ idempotencyKey: `${key}:r3`, reference, amount: usd(600) }, open())).toEqual({ ok: false, message: expect.stringContaining('400 USD is left') });
    expect(await provider.refund({ idempotencyKey: `${key}:r4`, reference, amount: usd(400) }, open())).toEqual({ ok: true });
  });

  it('refuses to capture a voided authorization, or to touch an unknown one', async () => {
    const { key, reference } = await authorization();
    expect(await provider.void({ idempotencyKey: `${key}:v`, reference }, open())).toEqual({ ok: true });
    expect(await provider.capture({ idempotencyKey: `${key}:c`, reference, amount: usd(1_000) }, open())).toEqual({ ok: false, message: 'The authorization was voided.' });
    expect(await provider.void({ idempotencyKey: `${key}:v2`, reference: 'fake_auth_unknown' }, open())).toMatchObject({ ok: false });
  });

  it('never answers for 4000000000000119: the call ends when the caller gives up, and nothing is recorded', async () => {
    const key = `${randomUUID()}:authorize`;
    const caller = new AbortController();
    const call = provider.authorize({ idempotencyKey: key, amount: usd(1_000), token: await token(TEST_CARDS.timeout) }, caller.signal);
    caller.abort(new Error('gave up'));
    await expect(call).rejects.toThrow('gave up');
    expect(await rows(key)).toEqual([]);
  });

  describe('with outages', () => {
    // random() is asked, in order: the delay, whether the call fails, and whether before or after acting.
    const flaky = (afterActing: boolean) => {
      const values = [0.5, 0, afterActing ? 0.1 : 0.9];
      let i = 0;
      return new FakeProvider(p.built.ctx.db, { latencyMs: 0, failureRate: 1, random: () => values[i++ % values.length]! });
    };

    it('fails as "provider unavailable", before acting or after (the answer is lost), and a retry with the key is safe', async () => {
      const card = await token();
      const before = `${randomUUID()}:authorize`;
      await expect(flaky(false).authorize({ idempotencyKey: before, amount: usd(10), token: card }, open())).rejects.toBeInstanceOf(ProviderUnavailableError);
      expect(await rows(before)).toEqual([]);

      const after = `${randomUUID()}:authorize`;
      await expect(flaky(true).authorize({ idempotencyKey: after, amount: usd(10), token: card }, open())).rejects.toBeInstanceOf(ProviderUnavailableError);
      expect(await rows(after)).toHaveLength(1);
      const retried = await provider.authorize({ idempotencyKey: after, amount: usd(10), token: card }, open());
      expect(retried.approved).toBe(true);
      expect(await rows(after)).toHaveLength(1);
    });
  });
});
