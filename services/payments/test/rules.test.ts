import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from '../src/domain/backoff.ts';
import { onCancel, onCapture, resolveTask, type PaymentSnapshot } from '../src/domain/payment-rules.ts';
import { passesLuhn } from '@emporium/contracts/payments';
import { cardVerdict, TEST_CARDS } from '../src/provider/test-cards.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const snapshot = (over: Partial<PaymentSnapshot>): PaymentSnapshot => ({ status: 'authorized', amount: usd(100), cancelRequested: false, openTask: null, ...over });

describe('test cards', () => {
  it('checks numbers with Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('79927398713')).toBe(true);
    expect(passesLuhn('79927398710')).toBe(false);
  });

  it('answers each test card as documented', () => {
    expect(cardVerdict(TEST_CARDS.approved)).toEqual({ kind: 'approve' });
    expect(cardVerdict(TEST_CARDS.declined)).toMatchObject({ kind: 'decline', code: 'card_declined' });
    expect(cardVerdict(TEST_CARDS.insufficientFunds)).toMatchObject({ kind: 'decline', code: 'insufficient_funds' });
    expect(cardVerdict(TEST_CARDS.timeout)).toEqual({ kind: 'hang' });
    expect(cardVerdict('378282246310005')).toEqual({ kind: 'approve' });
    expect(cardVerdict('378282246310006')).toMatchObject({ kind: 'decline', code: 'card_declined' });
  });
});

describe('retry backoff', () => {
  it('doubles from the base with jitter, up to a minute', () => {
    expect(retryDelayMs(1, 500, () => 1)).toBe(500);
    expect(retryDelayMs(1, 500, () => 0)).toBe(250);
    expect(retryDelayMs(3, 500, () => 1)).toBe(2_000);
    expect(retryDelayMs(40, 500, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe('payment rules', () => {
  it('captures only the authorized amount, and not while a cancel is under way', () => {
    expect(onCapture(snapshot({}), usd(100))).toEqual({ do: 'capture' });
    expect(onCapture(snapshot({}), usd(99))).toMatchObject({ do: 'decline' });
    expect(onCapture(snapshot({ cancelRequested: true }), usd(100))).toMatchObject({ do: 'decline' });
    expect(onCapture(snapshot({ openTask: { kind: 'capture', attempts: 1 } }), usd(100))).toEqual({ do: 'nothing' });
    expect(onCapture(snapshot({ status: 'captured' }), usd(100))).toEqual({ do: 'reply-captured' });
    expect(onCapture(undefined, usd(100))).toMatchObject({ do: 'decline' });
  });

  it('cancels whatever the payment reached', () => {
    expect(onCancel(undefined)).toBe('tombstone');
    expect(onCancel(snapshot({ status: 'pending' }))).toBe('void-pending');
    expect(onCancel(snapshot({}))).toBe('void');
    expect(onCancel(snapshot({ openTask: { kind: 'capture', attempts: 0 } }))).toBe('after-capture');
    expect(onCancel(snapshot({ status: 'captured' }))).toBe('refund');
    expect(onCancel(snapshot({ status: 'declined' }))).toBe('reply-voided');
    expect(onCancel(snapshot({ status: 'refunded' }))).toBe('reply-refunded');
  });

  it('gives up an authorization only after the last attempt, and never money already moving', () => {
    const unavailable = { type: 'unavailable', message: 'down' } as const;
    const at = (attempts: number) => ({ status: 'pending' as const, cancelRequested: false, attempts, maxAttempts: 4 });
    expect(resolveTask('authorize', at(3), unavailable)).toMatchObject({ retry: true });
    expect(resolveTask('authorize', at(4), unavailable)).toMatchObject({ status: 'declined', decline: { code: 'provider_unavailable' }, publish: 'declined' });
    expect(resolveTask('capture', { ...at(40), status: 'authorized' }, unavailable)).toMatchObject({ retry: true });
    expect(resolveTask('refund', { ...at(40), status: 'captured' }, unavailable)).toMatchObject({ retry: true });
  });

  it('undoes what the provider did after a cancel', () => {
    const approved = { type: 'approved', reference: 'r' } as const;
    expect(resolveTask('authorize', { status: 'voided', cancelRequested: true, attempts: 1, maxAttempts: 4 }, approved)).toMatchObject({ followUp: 'void' });
    expect(resolveTask('capture', { status: 'authorized', cancelRequested: true, attempts: 1, maxAttempts: 4 }, approved)).toMatchObject({ status: 'captured', followUp: 'refund' });
    expect(resolveTask('capture', { status: 'authorized', cancelRequested: true, attempts: 1, maxAttempts: 4 }, { type: 'refused', code: 'card_declined', message: 'no' })).toMatchObject({ followUp: 'void' });
  });
});
