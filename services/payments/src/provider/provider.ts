import type { Money } from '@emporium/contracts/common';

/**
 * A payment provider, the outer edge where money moves and card numbers are kept. Every call
 * that moves money carries an idempotency key: repeating a call with the same key returns the
 * first answer and never moves money twice.
 * Calls honour `signal`: an aborted call rejects at once (the provider may still have acted).
 */
export interface PaymentProvider {
  /**
   * Exchanges a card number for a token, as a provider's vault does: the number stays with the
   * provider, the platform keeps the token and what may be shown. Refuses a number that is not
   * a card (`InvalidCardError`).
   */
  tokenize(request: { cardNumber: string }, signal: AbortSignal): Promise<CardToken>;
  /** Holds `amount` on the card a token stands for; an unknown or expired token is declined. */
  authorize(request: { idempotencyKey: string; amount: Money; token: string }, signal: AbortSignal): Promise<AuthorizeAnswer>;
  /** Charges an authorization, for exactly its amount. */
  capture(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer>;
  /** Releases an authorization that was not captured. */
  void(request: { idempotencyKey: string; reference: string }, signal: AbortSignal): Promise<OperationAnswer>;
  /** Gives back up to what was captured on an authorization. */
  refund(request: { idempotencyKey: string; reference: string; amount: Money }, signal: AbortSignal): Promise<OperationAnswer>;
}

/** A card as the provider hands it back: its token, valid until `expiresAt`, and what may be shown of it. */
export interface CardToken {
  token: string;
  last4: string;
  brand: string;
  expiresAt: Date;
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

/** The provider refused to tokenize a number that is not a card; the caller's input is at fault. */
export class InvalidCardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCardError';
  }
}
