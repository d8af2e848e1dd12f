import { passesLuhn } from '@emporium/contracts/payments';

/** The cards the fake provider knows, with what it answers for each. */
export const TEST_CARDS = {
  approved: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  /** The provider never answers: the call hangs until the caller gives up. */
  timeout: '4000000000000119',
} as const;

/** What the fake provider's issuer says when it declines a card. */
export const DECLINE_MESSAGES = { card_declined: 'The card was declined.', insufficient_funds: 'The card has insufficient funds.' } as const;

/** What the fake provider does with a card. */
export type CardVerdict =
  | { kind: 'approve' }
  | { kind: 'decline'; code: 'card_declined' | 'insufficient_funds'; message: string }
  | { kind: 'hang' };

/** The fake provider's rule for a card: the test cards first, then any number that passes Luhn is approved. */
export function cardVerdict(number: string): CardVerdict {
  switch (number) {
    case TEST_CARDS.approved:
      return { kind: 'approve' };
    case TEST_CARDS.declined:
      return { kind: 'decline', code: 'card_declined', message: DECLINE_MESSAGES.card_declined };
    case TEST_CARDS.insufficientFunds:
      return { kind: 'decline', code: 'insufficient_funds', message: DECLINE_MESSAGES.insufficient_funds };
    case TEST_CARDS.timeout:
      return { kind: 'hang' };
    default:
      return passesLuhn(number) ? { kind: 'approve' } : { kind: 'decline', code: 'card_declined', message: 'The card number is not valid.' };
  }
}
