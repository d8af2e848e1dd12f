import type { AmountBreakdown, DeclineCode, PaymentStatus } from '@emporium/contracts/payments';
import type { Money } from '@emporium/contracts/common';

/** The provider calls a payment can wait for. */
export type TaskKind = 'authorize' | 'capture' | 'void' | 'refund';

/** What the rules need to know about a payment. */
export interface PaymentSnapshot {
  status: PaymentStatus;
  amount: Money;
  /** The saga asked to leave no charge (payment.cancel). */
  cancelRequested: boolean;
  /** The provider call still to make for it, if any (at most one at a time). */
  openTask: { kind: TaskKind; attempts: number } | null;
}

const money = (m: Money) => `${m.amount} ${m.currency}`;
const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;

/** Why an authorization of `amount` is refused before any provider call, or undefined when it may go ahead. */
export function invalidAmount(amount: Money): string | undefined {
  return amount.amount > 0 ? undefined : `The amount to authorize must be greater than zero; it was ${money(amount)}.`;
}

/**
 * Why an authorization of `amount` does not match what it is for, or undefined when it does: it
 * must be the items (quantity × unit price) plus the shipping, all in its currency.
 */
export function amountMismatch(amount: Money, breakdown: AmountBreakdown): string | undefined {
  const currencies = [...new Set([...breakdown.items.map((l) => l.unitPrice.currency), breakdown.shipping.currency])];
  if (currencies.length !== 1 || currencies[0] !== amount.currency) {
    return `The amount to authorize, ${money(amount)}, is not in the currency of its items and shipping (${currencies.join(', ')}).`;
  }
  const items = breakdown.items.reduce((sum, l) => sum + l.quantity * l.unitPrice.amount, 0);
  const expected = items + breakdown.shipping.amount;
  if (expected === amount.amount) return undefined;
  return `The amount to authorize, ${money(amount)}, is not the items (${items} ${amount.currency}) plus shipping (${money(breakdown.shipping)}): ${expected} ${amount.currency}.`;
}

/** What a payment.authorize command does to the order's existing payment. */
export type AuthorizeDecision = 'reply-authorized' | 'reply-declined' | 'nothing';

/** payment.authorize for an order that already has a payment: answer again, never charge again. */
export function onAuthorize(p: PaymentSnapshot): AuthorizeDecision {
  switch (p.status) {
    case 'authorized':
    case 'captured':
      return 'reply-authorized';
    case 'declined':
      return 'reply-declined';
    // Pending: the worker will answer. Voided: a cancel came first. Refunded: the order is over.
    default:
      return 'nothing';
  }
}

/** What a payment.capture command does. */
export type CaptureDecision = { do: 'capture' } | { do: 'reply-captured' } | { do: 'nothing' } | { do: 'decline'; message: string };

/** payment.capture: capture only an authorized payment, and only for the authorized amount. */
export function onCapture(p: PaymentSnapshot | undefined, amount: Money): CaptureDecision {
  if (!p) return { do: 'decline', message: 'There is no payment for this order to capture.' };
  switch (p.status) {
    case 'captured':
      return { do: 'reply-captured' };
    case 'authorized':
      if (p.cancelRequested) return { do: 'decline', message: 'The payment is being cancelled, so it cannot be captured.' };
      if (!sameMoney(p.amount, amount)) {
        return { do: 'decline', message: `The capture of ${money(amount)} does not match the authorized ${money(p.amount)}.` };
      }
      return p.openTask?.kind === 'capture' ? { do: 'nothing' } : { do: 'capture' };
    case 'pending':
      return { do: 'decline', message: 'The payment is not authorized yet, so it cannot be captured.' };
    default:
      return { do: 'decline', message: `The payment is ${p.status}, so it cannot be captured.` };
  }
}

/** What a payment.cancel command does. */
export type CancelDecision =
  | 'tombstone'
  | 'void-pending'
  | 'void'
  | 'refund'
  | 'after-capture'
  | 'nothing'
  | 'reply-voided'
  | 'reply-refunded';

/** payment.cancel: leave no charge, whatever the payment reached, and always answer the saga. */
export function onCancel(p: PaymentSnapshot | undefined): CancelDecision {
  if (!p) return 'tombstone';
  switch (p.status) {
    case 'pending':
      return 'void-pending';
    case 'authorized':
      // A capture in flight may succeed: the worker refunds or voids once it knows.
      if (p.openTask?.kind === 'capture') return 'after-capture';
      return p.openTask?.kind === 'void' ? 'nothing' : 'void';
    case 'captured':
      return p.openTask?.kind === 'refund' ? 'nothing' : 'refund';
    case 'refunded':
      return 'reply-refunded';
    case 'voided':
    case 'declined':
      return 'reply-voided';
  }
}

/** Whether an admin may refund the payment now: `undefined` when yes, else why not. */
export function refundRefusal(p: PaymentSnapshot): string | undefined {
  if (p.status === 'captured') return undefined;
  if (p.status === 'refunded') return 'The payment is already refunded.';
  return `Only a captured payment can be refunded; this one is ${p.status}.`;
}

/** What the provider said, or that it could not be reached in time. */
export type ProviderOutcome =
  | { type: 'approved'; reference?: string }
  | { type: 'refused'; code: Exclude<DeclineCode, 'provider_unavailable'>; message: string }
  | { type: 'unavailable'; message: string };

/** The event a resolution publishes. */
export type PaymentFact = 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded';

/** What to do with a provider answer, decided from the payment as it is now. */
export interface TaskResolution {
  /** Keep the task open and call again after a backoff. */
  retry?: true;
  /** The payment's new status. */
  status?: PaymentStatus;
  decline?: { code: DeclineCode; message: string };
  publish?: PaymentFact;
  /** The provider call that must follow, e.g. voiding an authorization that came after a cancel. */
  followUp?: 'void' | 'refund';
  /** Recorded on the finished task. */
  outcome: string;
}

/** Where the payment stands when a provider answer is applied. */
export interface TaskContext {
  status: PaymentStatus;
  cancelRequested: boolean;
  attempts: number;
  maxAttempts: number;
}

/**
 * The payment state machine's provider side: what an answer to a `kind` call does to the
 * payment. An authorize that arrives after a cancel is voided at the provider; a capture that
 * completes after a cancel is refunded; money already moving (capture, void, refund) is retried
 * until the provider answers.
 */
export function resolveTask(kind: TaskKind, c: TaskContext, outcome: ProviderOutcome): TaskResolution {
  if (outcome.type === 'unavailable') {
    if (kind !== 'authorize' || c.attempts < c.maxAttempts) return { retry: true, outcome: 'retry' };
    if (c.status !== 'pending') return { outcome: 'abandoned: the provider did not answer' };
    const message = `The payment provider did not answer after ${c.attempts} attempts.`;
    return { status: 'declined', decline: { code: 'provider_unavailable', message }, publish: 'declined', outcome: 'gave up' };
  }
  const approved = outcome.type === 'approved';
  switch (kind) {
    case 'authorize':
      if (c.status === 'pending') {
        return approved
          ? { status: 'authorized', publish: 'authorized', outcome: 'approved' }
          : { status: 'declined', decline: { code: outcome.code, message: outcome.message }, publish: 'declined', outcome: 'declined' };
      }
      // Cancelled while the call was out: an authorization that happened anyway is released.
      if (c.status === 'voided' && approved) return { followUp: 'void', outcome: 'approved after a cancel' };
      return { outcome: approved ? 'approved, ignored' : 'declined after a cancel' };
    case 'capture':
      if (c.status !== 'authorized') return { outcome: 'ignored' };
      if (approved) return { status: 'captured', publish: 'captured', ...(c.cancelRequested ? { followUp: 'refund' as const } : {}), outcome: 'captured' };
      return {
        decline: { code: 'card_declined', message: outcome.message },
        publish: 'declined',
        ...(c.cancelRequested ? { followUp: 'void' as const } : {}),
        outcome: `refused: ${outcome.message}`,
      };
    case 'void':
      // A refused void means the provider holds nothing for it: the customer is not charged either way.
      if (c.status === 'authorized') return { status: 'voided', publish: 'voided', outcome: approved ? 'voided' : `refused: ${outcome.message}` };
      return { outcome: approved ? 'released' : `refused: ${outcome.message}` };
    case 'refund':
      if (c.status === 'captured' && approved) return { status: 'refunded', publish: 'refunded', outcome: 'refunded' };
      return { outcome: approved ? 'ignored' : `refused: ${outcome.message}` };
  }
}
