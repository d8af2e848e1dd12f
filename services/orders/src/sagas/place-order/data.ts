import type { Address, ItemQuantity, Money } from '@emporium/contracts/common';

/** What the checkout saga carries from step to step. */
export interface CheckoutData {
  userId: string;
  items: ItemQuantity[];
  amount: Money;
  address: Address;
  /** The payment provider's token for the card (never its number); dropped when the saga ends. */
  paymentToken: string | null;
  cardLast4: string;
  reservationId?: string;
  paymentId?: string;
  shipmentId?: string;
}
