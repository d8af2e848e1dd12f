import type { Address, ItemQuantity, Money } from '@emporium/contracts/common';
import type { OrderShipping } from '@emporium/contracts/orders';
import type { AmountBreakdown } from '@emporium/contracts/payments';

/** What the checkout saga carries from step to step. */
export interface CheckoutData {
  userId: string;
  items: ItemQuantity[];
  /** The total to authorize and capture: the items plus the shipping. */
  amount: Money;
  /** What `amount` is made of, for payments to check; absent in a saga begun before shipping was charged. */
  breakdown?: AmountBreakdown;
  /** The shipping paid for; absent in a saga begun before shipping was charged. */
  shipping?: OrderShipping;
  address: Address;
  /** The payment provider's token for the card (never its number); dropped when the saga ends. */
  paymentToken: string | null;
  cardLast4: string;
  reservationId?: string;
  paymentId?: string;
  shipmentId?: string;
}
