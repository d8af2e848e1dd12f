/** The cards the fake provider knows, with what it answers for each. */
export const TEST_CARDS = {
  approved: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  /** The provider never answers: the call hangs until the caller gives up. */
  timeout: '4000000000000119',
} as const;

/** What the fake provider does with a card. */
export type CardVerdict =
  | { kind: 'approve' }
  | { kind: 'decline'; code: 'card_declined' | 'insufficient_funds'; message: string }
  | { kind: 'hang' };

/** Whether a card number passes the Luhn checksum. */
export function passesLuhn(number: string): boolean {
  if (!/^\d+$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The fake provider's rule for a card: the test cards first, then any number that passes Luhn is approved. */
export function cardVerdict(number: string): CardVerdict {
  switch (number) {
    case TEST_CARDS.approved:
      return { kind: 'approve' };
    case TEST_CARDS.declined:
      return { kind: 'decline', code: 'card_declined', message: 'The card was declined.' };
    case TEST_CARDS.insufficientFunds:
      return { kind: 'decline', code: 'insufficient_funds', message: 'The card has insufficient funds.' };
    case TEST_CARDS.timeout:
      return { kind: 'hang' };
    default:
      return passesLuhn(number) ? { kind: 'approve' } : { kind: 'decline', code: 'card_declined', message: 'The card number is not valid.' };
  }
}
