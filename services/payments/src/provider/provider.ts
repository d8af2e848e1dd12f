import type { Money } from '@emporium/contracts/common';

/**
 * A payment provider, the outer edge where money moves. Every call carries an idempotency key:
 * repeating a call with the same key returns the first answer and never moves money twice.
 * Calls honour `signal`: an aborted call rejects at once (the provider may still have acted).
 */
export interface PaymentProvider {
  /** Holds `amount` on the card. */
  authorize(request: { idempotencyKey: string; amount: Money; cardNumber: string }, signal: AbortSignal): Promise<AuthorizeAnswer>;
  /** Charges an authorization, for exactly its amount. */
  capture(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer>;
  /** Releases an authorization that was not captured. */
  void(request: { idempotencyKey: string; reference: string }, signal: AbortSignal): Promise<OperationAnswer>;
  /** Gives back up to what was captured on an authorization. */
  refund(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer>;
}

/** The provider's answer to an authorization. */
export type AuthorizeAnswer =
  | { approved: true; reference: string }
  | { approved: false; code: 'card_declined' | 'insufficient_funds'; message: string };

/** The provider's answer to a capture, void or refund: done, or refused with the reason. */
export type OperationAnswer = { ok: true } | { ok: false; message: string };

/** The provider could not be reached or did not answer; the same call may be retried with the same key. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}
