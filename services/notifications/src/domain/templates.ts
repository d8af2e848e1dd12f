/** A rendered message: what the recipient reads. Plain text, so nothing is escaped. */
export interface RenderedMessage {
  subject: string;
  body: string;
}

/** An amount of money in integer minor units, as events carry it. */
export interface Money {
  amount: number;
  currency: string;
}

const SIGNATURE = ['', 'The Emporium team'];

/**
 * Money as a customer reads it: `{ amount: 1250, currency: 'USD' }` is "$12.50". The currency's
 * own number of minor digits is used (none for JPY), so minor units are never assumed to be cents.
 */
export function formatMoney({ amount, currency }: Money): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

/** The welcome email for a user who has just registered, greeting them by name. */
export function welcome(user: { name: string }): RenderedMessage {
  return {
    subject: 'Welcome to Emporium',
    body: [
      `Hello ${user.name},`,
      '',
      'Welcome to Emporium! Your account is ready: browse the catalog, fill your cart and check out whenever you like.',
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** What a confirmation lists: the order's lines and its total. */
export interface ConfirmedOrder {
  orderId: string;
  items: ReadonlyArray<{ name: string; quantity: number; unitPrice: Money }>;
  total: Money;
}

/** The confirmation of a placed order: each item with its quantity and price, and the total charged. */
export function orderConfirmed(order: ConfirmedOrder): RenderedMessage {
  return {
    subject: `Your order ${order.orderId} is confirmed`,
    body: [
      'Hello,',
      '',
      `Thank you for your order ${order.orderId}. It is confirmed and paid for. You ordered:`,
      '',
      ...order.items.map((item) => `  ${item.quantity} × ${item.name} at ${formatMoney(item.unitPrice)}`),
      '',
      `Total: ${formatMoney(order.total)}`,
      '',
      'We will write again when it ships.',
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** The notice that an order was cancelled, with the reason. */
export function orderCancelled(order: { orderId: string; reason: string }): RenderedMessage {
  return {
    subject: `Your order ${order.orderId} was cancelled`,
    body: [
      'Hello,',
      '',
      `Your order ${order.orderId} was cancelled.`,
      `Reason: ${order.reason}`,
      '',
      'Nothing stays charged for it: any payment taken is refunded.',
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** The notice that an order left the warehouse, with the carrier and the tracking number. */
export function orderShipped(order: { orderId: string; carrier: string; trackingNumber: string }): RenderedMessage {
  return {
    subject: `Your order ${order.orderId} has shipped`,
    body: [
      'Hello,',
      '',
      `Your order ${order.orderId} is on its way with ${order.carrier}.`,
      `Tracking number: ${order.trackingNumber}`,
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** The notice that an order reached the customer. */
export function orderDelivered(order: { orderId: string }): RenderedMessage {
  return {
    subject: `Your order ${order.orderId} was delivered`,
    body: ['Hello,', '', `Your order ${order.orderId} has been delivered. We hope you enjoy it.`, ...SIGNATURE].join('\n'),
  };
}

/** Every template, by the name stored with each message it renders. */
export const templates = {
  welcome,
  'order-confirmed': orderConfirmed,
  'order-cancelled': orderCancelled,
  'order-shipped': orderShipped,
  'order-delivered': orderDelivered,
} as const;

/** The name of a template, as stored in `notifications.template`. */
export type TemplateName = keyof typeof templates;
