import { authorizePayment, authorizePaymentReplies } from './authorize-payment.ts';
import { capturePayment, capturePaymentReplies } from './capture-payment.ts';
import { commitStock, commitStockReplies } from './commit-stock.ts';
import { reserveStock, reserveStockReplies } from './reserve-stock.ts';
import { scheduleShipment, scheduleShipmentReplies } from './schedule-shipment.ts';

export type { CheckoutData } from './data.ts';

/** The checkout saga's steps, in order; compensations run in the reverse order. */
export const checkoutSteps = [reserveStock, authorizePayment, scheduleShipment, commitStock, capturePayment];

/** Every reply the checkout saga listens for. */
export const checkoutReplies = [...reserveStockReplies, ...authorizePaymentReplies, ...scheduleShipmentReplies, ...commitStockReplies, ...capturePaymentReplies];
