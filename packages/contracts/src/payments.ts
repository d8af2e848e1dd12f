import { Type, type Static } from '@sinclair/typebox';
import { Id, Money, Page, PageQuery } from './common.ts';
import { defineEvent } from './events.ts';

/** A card number: 12 to 19 digits, no spaces, whose last digit must also pass the Luhn check (`passesLuhn`). */
export const CardNumber = Type.String({ pattern: '^[0-9]{12,19}$', description: 'Digits only, with a valid check digit (Luhn). Test cards: 4242424242424242 approved, 4000000000000002 declined, 4000000000009995 insufficient funds, 4000000000000119 provider timeout.', examples: ['4242424242424242'] });

/** Whether a card number's check digit is right (the Luhn checksum), which a schema cannot say. */
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

/** The last four digits of a card: all of its number that the platform keeps. */
export const CardLast4 = Type.String({ pattern: '^[0-9]{4}$' });

/**
 * A payment token: the provider's opaque stand-in for a card, given in exchange for its number
 * and valid for a while. It is what the platform passes around instead of the number.
 */
export const PaymentToken = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_]+$' });

/** `POST /payment-methods` body: the card to exchange for a token. */
export const PaymentMethodBody = Type.Object({ cardNumber: CardNumber }, { additionalProperties: false });
export type PaymentMethodBody = Static<typeof PaymentMethodBody>;

/** `POST /payment-methods` answer (201): the token, and what may be shown of the card. */
export const PaymentMethod = Type.Object({
  token: PaymentToken,
  last4: CardLast4,
  brand: Type.String({ description: 'visa, mastercard, amex, discover, or unknown' }),
  expiresAt: Type.String({ format: 'date-time', description: 'After this the provider no longer knows the token' }),
});
export type PaymentMethod = Static<typeof PaymentMethod>;

/** Where a payment stands. */
export const PAYMENT_STATUSES = ['pending', 'authorized', 'declined', 'captured', 'voided', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PaymentStatusSchema = Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s)));

/** Why a payment was refused: by the provider, or by payments itself (an amount that does not add up). */
export const DeclineCode = Type.Union([Type.Literal('card_declined'), Type.Literal('insufficient_funds'), Type.Literal('provider_unavailable'), Type.Literal('amount_mismatch')]);
export type DeclineCode = Static<typeof DeclineCode>;

/** A payment for one order, as its owner and admins see it. */
export const Payment = Type.Object({
  id: Id,
  orderId: Id,
  userId: Id,
  amount: Money,
  status: PaymentStatusSchema,
  cardLast4: Type.String(),
  declineCode: Type.Union([DeclineCode, Type.Null()]),
  /** The provider's reference for the authorization, once there is one. */
  providerReference: Type.Union([Type.String(), Type.Null()]),
  refundedAmount: Money,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Payment = Static<typeof Payment>;

export const PaymentPage = Page(Payment);
export type PaymentPage = Static<typeof PaymentPage>;

/** `GET /payments` query: an order's payments (admins may list all). */
export const PaymentQuery = Type.Object({
  orderId: Type.Optional(Id),
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
});
export type PaymentQuery = Static<typeof PaymentQuery>;

export const PaymentParams = Type.Object({ id: Id });

/** `POST /payments/:id/refund` body: an optional reason, kept with the refund. */
export const RefundBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export type RefundBody = Static<typeof RefundBody>;

const commandDelivery = 'at least once; handled once per order (payments deduplicates by event id, and the provider by idempotency key)';
const eventDelivery = 'at least once; in order per subject; consumers deduplicate by event id';
const reason = Type.String({ maxLength: 500 });

// Commands. The orders service's checkout saga sends them; payments handles them.

/** What an order's total is made of: its priced items and its shipping. */
export const AmountBreakdown = Type.Object(
  {
    items: Type.Array(Type.Object({ productId: Id, quantity: Type.Integer({ minimum: 1 }), unitPrice: Money }, { additionalProperties: false }), { minItems: 1, maxItems: 100 }),
    shipping: Money,
  },
  { additionalProperties: false, description: 'Payments refuses an amount that is not the sum of the items (quantity × unit price) and the shipping, in one currency' },
);
export type AmountBreakdown = Static<typeof AmountBreakdown>;

/**
 * Authorize the order's total on the card the token stands for. Version 2: version 1 carried the
 * full card number, which no message carries any more. `breakdown` was added later, optional (a
 * command sent before it has none, and is not checked).
 */
export const authorizePayment = defineEvent({
  type: 'payment.authorize',
  version: 2,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: authorize the order's total (its items plus its shipping, itemized in `breakdown`) on the card, named by the provider's token and its last four digits (never the card number).",
  delivery: commandDelivery,
  schema: Type.Object(
    { orderId: Id, userId: Id, amount: Money, paymentToken: PaymentToken, cardLast4: CardLast4, breakdown: Type.Optional(AmountBreakdown) },
    { additionalProperties: false },
  ),
});

/** Capture the order's authorized payment. */
export const capturePayment = defineEvent({
  type: 'payment.capture',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: capture the order's authorized payment.",
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id, amount: Money }, { additionalProperties: false }),
});

/**
 * Undo the order's payment, whatever state it reached: a pending authorization is abandoned, an
 * authorized one voided, a captured one refunded. Nothing to undo is not an error.
 */
export const cancelPayment = defineEvent({
  type: 'payment.cancel',
  version: 1,
  producer: 'orders',
  subject: 'the order id',
  description: "A command from the checkout saga: leave no charge for the order (void an authorization, refund a capture, abandon a pending one).",
  delivery: commandDelivery,
  schema: Type.Object({ orderId: Id, reason }, { additionalProperties: false }),
});

// Events. Payments publishes them through its outbox, in the transaction that changes the payment.

const paymentFacts = { orderId: Id, paymentId: Id, amount: Money };

export const paymentAuthorized = defineEvent({
  type: 'payment.authorized',
  version: 1,
  producer: 'payments',
  subject: 'the order id',
  description: "The provider authorized the order's total on the card.",
  delivery: eventDelivery,
  schema: Type.Object({ ...paymentFacts, providerReference: Type.String() }, { additionalProperties: false }),
});

export const paymentDeclined = defineEvent({
  type: 'payment.declined',
  version: 1,
  producer: 'payments',
  subject: 'the order id',
  description: 'The provider refused the card, with the reason.',
  delivery: eventDelivery,
  schema: Type.Object({ ...paymentFacts, code: DeclineCode, message: reason }, { additionalProperties: false }),
});

export const paymentCaptured = defineEvent({
  type: 'payment.captured',
  version: 1,
  producer: 'payments',
  subject: 'the order id',
  description: 'The authorized amount was captured: the customer is charged.',
  delivery: eventDelivery,
  schema: Type.Object(paymentFacts, { additionalProperties: false }),
});

export const paymentVoided = defineEvent({
  type: 'payment.voided',
  version: 1,
  producer: 'payments',
  subject: 'the order id',
  description: 'An authorization (or an abandoned pending one) was voided: the customer is not charged.',
  delivery: eventDelivery,
  schema: Type.Object({ ...paymentFacts, reason }, { additionalProperties: false }),
});

export const paymentRefunded = defineEvent({
  type: 'payment.refunded',
  version: 1,
  producer: 'payments',
  subject: 'the order id',
  description: 'A captured payment was refunded in full, on a saga command or by an admin.',
  delivery: eventDelivery,
  schema: Type.Object({ ...paymentFacts, reason, byAdmin: Type.Boolean() }, { additionalProperties: false }),
});

/** Every event payments publishes. */
export const paymentEvents = { paymentAuthorized, paymentDeclined, paymentCaptured, paymentVoided, paymentRefunded } as const;
/** The commands payments accepts from the checkout saga. */
export const paymentCommands = { authorizePayment, capturePayment, cancelPayment } as const;
