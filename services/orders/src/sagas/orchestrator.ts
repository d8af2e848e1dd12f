import type { Database, Logger, Messaging, Transaction } from '@emporium/kit';
import type { CloudEvent, EventData, EventDefinition } from '@emporium/contracts/events';
import { claimExpiredSagas, insertSaga, lockSaga, logSaga, saveSaga, type SagaState } from '../db/sagas.repository.ts';
import { ordersErrors } from '../errors.ts';

export type { SagaState };

/** What a step's invoke and compensate receive: the saga, its transaction, and how to send a command. */
export interface StepContext<D> {
  tx: Transaction;
  saga: SagaState<D>;
  /** Sends a command through the outbox, with the order id as its subject. */
  send<E extends EventDefinition>(definition: E, data: EventData<E>): Promise<void>;
}

/** One step of a saga: the command that does it and, when it leaves something behind, the one that undoes it. */
export interface SagaStep<D> {
  id: string;
  /** The cancellation reason when the step's deadline passes. */
  timeoutReason: string;
  invoke(ctx: StepContext<D>): Promise<void>;
  /** Sends the command that undoes the step; its reply is a `compensated` reply of this step. */
  compensate?(ctx: StepContext<D>, reason: string): Promise<void>;
}

/**
 * How a reply moves the saga: the step succeeded, failed, was undone, or cannot be undone (the
 * participant refused its compensation: the step is past undoing, as a shipment that has left).
 */
export type ReplyKind = 'succeeded' | 'failed' | 'compensated' | 'refused';

/** A participant's reply event, tied to the step it answers. */
export interface SagaReply<D, E extends EventDefinition = EventDefinition> {
  event: E;
  step: string;
  kind: ReplyKind;
  /** What the reply adds to the saga's data (the ids that later steps and compensations need). */
  data?(data: EventData<E>): Partial<D>;
  /** The cancellation reason, for a failure or a participant that undid its step on its own. */
  reason?(data: EventData<E>): string;
}

/** Declares a reply with its event's data typed. */
export function reply<D, E extends EventDefinition>(r: SagaReply<D, E>): SagaReply<D> {
  return r as unknown as SagaReply<D>;
}

/** What the saga's owner does at the ends, and with every reply (to keep its own records current). */
export interface SagaHooks<D> {
  completed(tx: Transaction, saga: SagaState<D>): Promise<void>;
  compensated(tx: Transaction, saga: SagaState<D>, reason: string): Promise<void>;
  replied?(tx: Transaction, saga: SagaState<D>, reply: SagaReply<D>, event: CloudEvent): Promise<void>;
  /** Whether a completed saga may still be undone (an order not yet shipped). */
  mayUndo(tx: Transaction, saga: SagaState<D>): Promise<boolean>;
  /** A completed saga's undoing was refused before anything was undone: it is completed again, and `reason` says why. */
  refused?(tx: Transaction, saga: SagaState<D>, reason: string): Promise<void>;
}

/** Deadlines and patience. */
export interface SagaTimings {
  stepTimeoutMs: number;
  compensationTimeoutMs: number;
  compensationAttempts: number;
}

/**
 * An orchestrated saga whose state lives in the database. Every transition happens in one
 * transaction with the commands it sends (through the outbox), under a row lock on the saga, so
 * a crash at any moment leaves it at its last committed step, and a reply delivered twice finds
 * it already moved on. Each step has a deadline in the row: the timer round (`expire`), run by
 * any replica, compensates a step that did not answer in time, or sends a compensation again.
 * Compensations run one at a time, newest step first, each waiting for its reply.
 */
export class SagaOrchestrator<D> {
  private readonly byId: Map<string, SagaStep<D>>;

  constructor(
    private readonly steps: readonly SagaStep<D>[],
    private readonly replies: readonly SagaReply<D>[],
    private readonly hooks: SagaHooks<D>,
    private readonly messaging: Messaging,
    private readonly timings: SagaTimings,
    private readonly log: Logger,
  ) {
    this.byId = new Map(steps.map((s) => [s.id, s]));
  }

  /** Starts a saga in `tx` and sends its first command. The saga id is the order id. */
  async start(tx: Transaction, orderId: string, data: D): Promise<void> {
    const first = this.steps[0]!;
    const saga: SagaState<D> = { id: orderId, orderId, status: 'RUNNING', step: first.id, completed: [], compensations: [], data, reason: null, attempts: 0, lastError: null };
    await insertSaga(tx, saga, this.timings.stepTimeoutMs);
    await logSaga(tx, saga.id, first.id, 'invoke');
    await first.invoke(this.context(tx, saga));
  }

  /** Subscribes to every reply event, one subscription per event type. */
  subscribe(): void {
    const types = new Map<string, SagaReply<D>[]>();
    for (const r of this.replies) types.set(r.event.type, [...(types.get(r.event.type) ?? []), r]);
    for (const [type, candidates] of types) {
      this.messaging.subscribe(candidates[0]!.event, `saga-${type.replaceAll('.', '-')}`, (event, tx) => this.onReply(tx, candidates, event));
    }
  }

  /**
   * Applies a participant's reply, inside the inbox transaction that records it. One event type
   * may answer several steps (payment.declined answers authorize and capture): the step the
   * saga is at decides.
   */
  async onReply(tx: Transaction, candidates: readonly SagaReply<D>[], event: CloudEvent): Promise<void> {
    const data = event.data as EventData<EventDefinition>;
    const orderId = (data as { orderId: string }).orderId;
    const saga = await lockSaga<D>(tx, orderId);
    if (!saga) {
      this.log.warn({ orderId, type: event.type }, 'a reply for an unknown saga was ignored');
      return;
    }
    const r = candidates.find((c) => c.step === saga.step) ?? candidates[0]!;
    if (r.data) saga.data = { ...saga.data, ...r.data(data) };
    await this.hooks.replied?.(tx, saga, r, event);
    const reason = r.reason?.(data) ?? `${r.step}: ${event.type}`;

    if (saga.status === 'RUNNING' && saga.step === r.step && r.kind === 'succeeded') {
      saga.completed = [...saga.completed, r.step];
      await logSaga(tx, saga.id, r.step, 'succeeded', event.type);
      const next = this.steps[this.steps.findIndex((s) => s.id === r.step) + 1];
      if (!next) {
        saga.status = 'COMPLETED';
        await saveSaga(tx, saga, null);
        await logSaga(tx, saga.id, r.step, 'completed');
        await this.hooks.completed(tx, saga);
        return;
      }
      saga.step = next.id;
      saga.attempts = 0;
      await saveSaga(tx, saga, this.timings.stepTimeoutMs);
      await logSaga(tx, saga.id, next.id, 'invoke');
      await next.invoke(this.context(tx, saga));
      return;
    }
    if (saga.status === 'RUNNING' && saga.step === r.step && r.kind === 'failed') {
      await logSaga(tx, saga.id, r.step, 'failed', reason);
      await this.beginCompensation(tx, saga, reason, { includeCurrent: false });
      return;
    }
    if (r.kind === 'compensated' && saga.status === 'COMPENSATING' && saga.compensations[0] === r.step) {
      await logSaga(tx, saga.id, r.step, 'compensated', event.type);
      saga.compensations = saga.compensations.slice(1);
      await this.continueCompensation(tx, saga);
      return;
    }
    if (r.kind === 'compensated' && saga.completed.includes(r.step) && (saga.status === 'RUNNING' || saga.status === 'COMPLETED')) {
      // The participant undid its step on its own (a reservation expired, an admin refunded):
      // what the saga built on it is undone too, unless a completed saga is past undoing.
      await logSaga(tx, saga.id, r.step, 'undone by participant', reason);
      if (saga.status === 'COMPLETED' && !(await this.hooks.mayUndo(tx, saga))) return;
      saga.completed = saga.completed.filter((s) => s !== r.step);
      await this.beginCompensation(tx, saga, reason, { includeCurrent: saga.status === 'RUNNING' });
      return;
    }
    if (r.kind === 'compensated' && saga.status === 'COMPENSATING' && saga.compensations.includes(r.step)) {
      await logSaga(tx, saga.id, r.step, 'undone by participant', reason);
      saga.compensations = saga.compensations.filter((s) => s !== r.step);
      await saveSaga(tx, saga, this.timings.compensationTimeoutMs);
      return;
    }
    if (r.kind === 'refused' && (saga.status === 'COMPENSATING' || saga.status === 'FAILED') && saga.compensations[0] === r.step) {
      await logSaga(tx, saga.id, r.step, 'compensation refused', reason);
      await this.settleRefusal(tx, saga, reason);
      return;
    }
    // A duplicate, or an answer that came after the saga stopped waiting for it: the
    // compensation already sent covers whatever it did.
    this.log.debug({ orderId, type: event.type, status: saga.status, step: saga.step }, 'a late or repeated reply changed nothing');
  }

  /** One round of the durable timer: acts on every saga past its deadline. Returns how many. */
  async expire(db: Database, batch = 50): Promise<number> {
    return db.transaction(async (tx) => {
      const due = await claimExpiredSagas<D>(tx, batch);
      for (const saga of due) {
        if (saga.status === 'RUNNING') {
          const step = this.byId.get(saga.step)!;
          await logSaga(tx, saga.id, saga.step, 'timed out', step.timeoutReason);
          // Its command may still take effect, so the step is compensated as well.
          await this.beginCompensation(tx, saga, step.timeoutReason, { includeCurrent: true });
        } else {
          await this.retryCompensation(tx, saga);
        }
      }
      return due.length;
    });
  }

  /** Sends the current command again with a fresh deadline: the running step, or the compensation. */
  async retry(tx: Transaction, orderId: string): Promise<void> {
    const saga = await this.locked(tx, orderId);
    if (saga.status === 'RUNNING') {
      saga.lastError = null;
      await saveSaga(tx, saga, this.timings.stepTimeoutMs);
      await logSaga(tx, saga.id, saga.step, 'retry', 'by an operator');
      await this.byId.get(saga.step)!.invoke(this.context(tx, saga));
      return;
    }
    if (saga.status === 'COMPENSATING' || saga.status === 'FAILED') {
      saga.status = 'COMPENSATING';
      saga.attempts = 0;
      saga.lastError = null;
      await logSaga(tx, saga.id, saga.step, 'retry', 'by an operator');
      await this.sendCompensation(tx, saga);
      return;
    }
    throw ordersErrors.ORDERS_SAGA_CONFLICT(`The saga is ${saga.status}: there is nothing to retry.`);
  }

  /**
   * Undoes what the saga did, newest step first: a running saga (the customer or an operator
   * cancels), a completed one (a confirmed order cancelled before dispatch), or a failed one.
   */
  async compensate(tx: Transaction, orderId: string, reason: string): Promise<void> {
    const saga = await this.locked(tx, orderId);
    if (saga.status === 'COMPLETED' && !(await this.hooks.mayUndo(tx, saga))) {
      throw ordersErrors.ORDERS_NOT_CANCELLABLE('The order has left the warehouse: it can no longer be cancelled.');
    }
    if (saga.status === 'RUNNING' || saga.status === 'COMPLETED') {
      await logSaga(tx, saga.id, saga.step, 'compensation requested', reason);
      await this.beginCompensation(tx, saga, reason, { includeCurrent: saga.status === 'RUNNING' });
      return;
    }
    if (saga.status === 'FAILED') {
      await this.retry(tx, orderId);
      return;
    }
    throw ordersErrors.ORDERS_SAGA_CONFLICT(`The saga is ${saga.status}: it is already being undone or has been.`);
  }

  private async locked(tx: Transaction, orderId: string): Promise<SagaState<D>> {
    const saga = await lockSaga<D>(tx, orderId);
    if (!saga) throw ordersErrors.ORDERS_SAGA_NOT_FOUND(`There is no saga ${orderId}.`);
    return saga;
  }

  private async beginCompensation(tx: Transaction, saga: SagaState<D>, reason: string, opts: { includeCurrent: boolean }): Promise<void> {
    const done = opts.includeCurrent && !saga.completed.includes(saga.step) ? [...saga.completed, saga.step] : saga.completed;
    saga.compensations = [...done].reverse().filter((id) => this.byId.get(id)?.compensate);
    saga.status = 'COMPENSATING';
    saga.reason = reason;
    saga.attempts = 0;
    await this.continueCompensation(tx, saga);
  }

  /** Sends the next compensation, or finishes when none is left. */
  private async continueCompensation(tx: Transaction, saga: SagaState<D>): Promise<void> {
    const next = saga.compensations[0];
    if (!next) {
      saga.status = 'COMPENSATED';
      await saveSaga(tx, saga, null);
      await logSaga(tx, saga.id, saga.step, 'compensated all', saga.reason);
      await this.hooks.compensated(tx, saga, saga.reason ?? 'cancelled');
      return;
    }
    saga.step = next;
    saga.attempts = 0;
    await this.sendCompensation(tx, saga);
  }

  private async sendCompensation(tx: Transaction, saga: SagaState<D>): Promise<void> {
    await saveSaga(tx, saga, this.timings.compensationTimeoutMs);
    await logSaga(tx, saga.id, saga.step, 'compensate', saga.attempts ? `attempt ${saga.attempts + 1}` : saga.reason);
    await this.byId.get(saga.step)!.compensate!(this.context(tx, saga), saga.reason ?? 'cancelled');
  }

  /**
   * The participant of the compensation being waited for refused it: its step cannot be undone.
   * A completed saga whose undoing had not undone anything yet (a confirmed order cancelled just
   * as its shipment left) is completed again: the cancellation is dropped, the hook says why, and
   * nothing else is sent. Otherwise part of the saga is undone and the rest cannot be: it is FAILED
   * at once, with the refusal as its error, for an operator.
   */
  private async settleRefusal(tx: Transaction, saga: SagaState<D>, reason: string): Promise<void> {
    const step = saga.step;
    const wasCompleted = this.steps.every((s) => saga.completed.includes(s.id));
    const nothingUndone = saga.compensations.length === this.steps.filter((s) => s.compensate).length;
    if (wasCompleted && nothingUndone) {
      saga.status = 'COMPLETED';
      saga.step = this.steps.at(-1)!.id;
      saga.compensations = [];
      saga.reason = null;
      saga.attempts = 0;
      saga.lastError = null;
      await saveSaga(tx, saga, null);
      await logSaga(tx, saga.id, saga.step, 'completed', `not undone: ${reason}`);
      await this.hooks.refused?.(tx, saga, reason);
      return;
    }
    saga.status = 'FAILED';
    saga.lastError = `${step}: ${reason}`;
    await saveSaga(tx, saga, null);
    await logSaga(tx, saga.id, step, 'failed', saga.lastError);
    this.log.error({ orderId: saga.orderId, step }, 'a saga could not be undone: a participant refused a compensation; an operator must settle it');
  }

  /** A compensation's deadline passed: send it again, or give up and leave the saga to an operator. */
  private async retryCompensation(tx: Transaction, saga: SagaState<D>): Promise<void> {
    saga.attempts += 1;
    if (saga.attempts >= this.timings.compensationAttempts) {
      saga.status = 'FAILED';
      saga.lastError = `${saga.step}: no reply to ${saga.attempts} compensation attempts`;
      await saveSaga(tx, saga, null);
      await logSaga(tx, saga.id, saga.step, 'failed', saga.lastError);
      this.log.error({ orderId: saga.orderId, step: saga.step }, 'a saga gave up compensating; an operator must retry it');
      return;
    }
    await logSaga(tx, saga.id, saga.step, 'timed out', 'compensation unanswered');
    await this.sendCompensation(tx, saga);
  }

  private context(tx: Transaction, saga: SagaState<D>): StepContext<D> {
    return {
      tx,
      saga,
      send: async (definition, data) => {
        await this.messaging.publish(tx, definition, data, { subject: saga.orderId });
      },
    };
  }
}
