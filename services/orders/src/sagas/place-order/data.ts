import type { Address, ItemQuantity, Money } from '@emporium/contracts/common';

/** What the checkout saga carries from step to step. */
export interface CheckoutData {
  userId: string;
  items: ItemQuantity[];
  amount: Money;
  address: Address;
  /** A test card's number, standing in for a provider token; dropped when the saga ends. */
  cardNumber: string | null;
  reservationId?: string;
  paymentId?: string;
  shipmentId?: string;
}
