import type { Transaction } from '@emporium/kit';
import { lockPaymentOfOrder, type PaymentRecord } from '../db/payments.repository.ts';
import { lockOpenTask, type OpenTask } from '../db/tasks.repository.ts';
import type { PaymentSnapshot } from '../domain/payment-rules.ts';
import type { Facts } from './facts.ts';

/** What the command handlers need: the events they publish, and a way to wake the worker. */
export interface HandlerDeps {
  facts: Facts;
  /** Wakes the provider worker; call it after the commit that created a task. */
  wake(): void;
}

/** A payment with its open task, both locked (payment first, as everywhere). */
export interface LockedPayment {
  payment: PaymentRecord;
  openTask: OpenTask | undefined;
  snapshot: PaymentSnapshot;
}

/** What the rules need to know about a locked payment. */
export function snapshotOf(payment: PaymentRecord, openTask: OpenTask | undefined): PaymentSnapshot {
  return {
    status: payment.status,
    amount: payment.amount,
    cancelRequested: payment.cancelReason !== null,
    openTask: openTask ? { kind: openTask.kind, attempts: openTask.attempts } : null,
  };
}

/** Locks the order's payment and its open task, or returns undefined when the order has none. */
export async function lockOrderPayment(tx: Transaction, orderId: string): Promise<LockedPayment | undefined> {
  const payment = await lockPaymentOfOrder(tx, orderId);
  if (!payment) return undefined;
  const openTask = await lockOpenTask(tx, payment.id);
  return { payment, openTask, snapshot: snapshotOf(payment, openTask) };
}
