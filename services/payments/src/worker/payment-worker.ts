import type { BackgroundTask, Database, Logger, Transaction } from '@emporium/kit';
import { lockPayment, updatePayment, type PaymentChange, type PaymentRecord } from '../db/payments.repository.ts';
import { claimDueTasks, finishTask, insertTask, lockTask, releaseLease, rescheduleTask, type ClaimedTask } from '../db/tasks.repository.ts';
import { retryDelayMs } from '../domain/backoff.ts';
import { resolveTask, type ProviderOutcome, type TaskResolution } from '../domain/payment-rules.ts';
import type { Facts } from '../events/facts.ts';
import type { PaymentProvider } from '../provider/provider.ts';

/** How the worker calls the provider. */
export interface WorkerOptions {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency: number;
}

/** What the worker needs. */
export interface WorkerDeps {
  db: Database;
  facts: Facts;
  provider: PaymentProvider;
  log: Logger;
  options: WorkerOptions;
}

/**
 * Makes the provider calls that commands recorded as tasks, never inside a transaction: claim a
 * due task (committed), call the provider with the key `<paymentId>:<kind>`, then apply the answer
 * and publish its event in one transaction. A crash between the call and the apply repeats the
 * call with the same key, which the provider answers as before: never a double charge.
 *
 * Calls run in a pool (up to `concurrency` at once) outside the background round, so a call that
 * hangs until its timeout holds one slot and never the next round; each finished call wakes the
 * worker to fill its slot.
 */
export class PaymentWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private task: BackgroundTask | undefined;

  constructor(private readonly deps: WorkerDeps) {}

  /** Connects the worker to the background task that runs its rounds. */
  attach(task: BackgroundTask): void {
    this.task = task;
  }

  /** Asks for a round now (after a commit that created a task). */
  wake(): void {
    this.task?.wake();
  }

  /** One round: claims as many due tasks as there are free slots and starts their calls; resolves once they are started. */
  async round(): Promise<number> {
    if (this.stopping.signal.aborted) return 0;
    const free = this.deps.options.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    // The lease outlasts the call's timeout, so no other worker takes a task whose call is still out.
    const claimed = await claimDueTasks(this.deps.db, free, this.deps.options.timeoutMs + 10_000);
    for (const t of claimed) {
      const run: Promise<void> = this.process(t)
        .catch((err: unknown) => this.deps.log.error({ err: (err as Error).message, task: t.id, kind: t.kind }, 'a payment task failed; it is retried when its lease ends'))
        .finally(() => {
          this.inFlight.delete(run);
          this.wake();
        });
      this.inFlight.add(run);
    }
    return claimed.length;
  }

  /** One round through the background task (so it never overlaps another); resolves once its calls are started. */
  async runOnce(): Promise<void> {
    await (this.task ? this.task.runOnce() : this.round());
  }

  /** Runs rounds, waiting for every call they start, until nothing is due (tests drive the worker with it). */
  async drain(): Promise<void> {
    await this.settled();
    for (;;) {
      await this.runOnce();
      if (this.inFlight.size === 0) return;
      await this.settled();
    }
  }

  /** Waits until no call is in flight. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops: calls still out are abandoned and their tasks handed back, to be repeated with the same key. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the payments service is stopping'));
    await this.settled();
  }

  private async process(t: ClaimedTask): Promise<void> {
    const outcome = await this.call(t);
    if (outcome === 'stopped') {
      await releaseLease(this.deps.db, t.id, t.lease);
      return;
    }
    await this.apply(t, outcome);
  }

  /** Calls the provider for a task with a deadline; what it says, or that it is unavailable. */
  private async call(t: ClaimedTask): Promise<ProviderOutcome | 'stopped'> {
    const { provider, options } = this.deps;
    const idempotencyKey = `${t.paymentId}:${t.kind}`;
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), this.stopping.signal]);
    try {
      return await withDeadline(signal, async (): Promise<ProviderOutcome> => {
        switch (t.kind) {
          case 'authorize': {
            if (!t.paymentToken) return { type: 'refused', code: 'card_declined', message: 'No card is on file for this payment: the card must be entered again.' };
            const a = await provider.authorize({ idempotencyKey, amount: t.amount, token: t.paymentToken }, signal);
            return a.approved ? { type: 'approved', reference: a.reference } : { type: 'refused', code: a.code, message: a.message };
          }
          case 'capture':
            return operation(await provider.capture({ idempotencyKey, reference: t.providerReference ?? '', amount: t.amount }, signal));
          case 'void':
            return operation(await provider.void({ idempotencyKey, reference: t.providerReference ?? '' }, signal));
          case 'refund':
            return operation(await provider.refund({ idempotencyKey, reference: t.providerReference ?? '', amount: t.amount }, signal));
        }
      });
    } catch (err) {
      if (this.stopping.signal.aborted) return 'stopped';
      const message = signal.aborted ? `The payment provider did not answer within ${options.timeoutMs} ms.` : (err as Error).message;
      this.deps.log.warn({ task: t.id, kind: t.kind, attempt: t.attempts, err: message }, 'payment provider call failed');
      return { type: 'unavailable', message };
    }
  }

  /** Applies a provider answer and publishes its event, in one transaction, if this claim still holds the task. */
  private async apply(t: ClaimedTask, outcome: ProviderOutcome): Promise<void> {
    const { db, facts, options, log } = this.deps;
    await db.transaction(async (tx) => {
      const payment = await lockPayment(tx, t.paymentId);
      const task = await lockTask(tx, t.id);
      // A later claim took over after this one's lease ran out: it applies the same answer.
      if (!payment || !task || task.done || task.lease !== t.lease) return;
      const r = resolveTask(t.kind, { status: payment.status, cancelRequested: payment.cancelReason !== null, attempts: t.attempts, maxAttempts: options.maxAttempts }, outcome);
      if (r.retry) {
        const message = outcome.type === 'unavailable' ? outcome.message : 'retry';
        if (t.attempts >= options.maxAttempts) log.error({ task: t.id, kind: t.kind, attempts: t.attempts }, 'a payment provider call keeps failing; it is still retried');
        await rescheduleTask(tx, t.id, retryDelayMs(t.attempts, options.retryBaseMs), message);
        return;
      }
      const updated = await updatePayment(tx, payment.id, changeOf(t, r, outcome, task));
      await finishTask(tx, t.id, r.outcome, outcome.type === 'unavailable' ? outcome.message : outcome.type === 'refused' ? outcome.message : undefined);
      // Refusals after an authorization point at a bug or a provider dispute: an operator should look.
      if (outcome.type === 'refused' && t.kind !== 'authorize') log.error({ payment: payment.id, kind: t.kind, outcome: r.outcome }, 'the provider refused a payment operation');
      if (r.followUp) {
        await insertTask(tx, {
          paymentId: payment.id,
          kind: r.followUp,
          reason: updated.cancelReason ?? undefined,
          ...(r.followUp === 'refund' ? { amount: updated.amount.amount - updated.refundedAmount, byAdmin: false } : {}),
        });
        tx.afterCommit(() => this.wake());
      }
      await publish(facts, tx, updated, r);
    });
  }
}

function operation(answer: { ok: true } | { ok: false; message: string }): ProviderOutcome {
  return answer.ok ? { type: 'approved' } : { type: 'refused', code: 'card_declined', message: answer.message };
}

/** What an answer changes on the payment. */
function changeOf(t: ClaimedTask, r: TaskResolution, outcome: ProviderOutcome, task: { reason: string | null; byAdmin: boolean }): PaymentChange {
  const change: PaymentChange = {};
  if (r.status) change.status = r.status;
  // Kept even for an authorization that came after a cancel: the void that follows needs it.
  if (t.kind === 'authorize' && outcome.type === 'approved' && outcome.reference) change.providerReference = outcome.reference;
  if (r.status === 'declined' && r.decline) {
    change.declineCode = r.decline.code;
    change.declineMessage = r.decline.message.slice(0, 500);
  }
  if (r.status === 'refunded') {
    change.refundedAmount = t.amount.amount;
    change.refundReason = task.reason ?? '';
    change.refundedByAdmin = task.byAdmin;
  }
  return change;
}

async function publish(facts: Facts, tx: Transaction, p: PaymentRecord, r: TaskResolution): Promise<void> {
  switch (r.publish) {
    case 'authorized':
      return void (await facts.authorized(tx, p));
    case 'declined':
      return void (await facts.declined(tx, p.orderId, p, p.amount, r.decline!.code, r.decline!.message));
    case 'captured':
      return void (await facts.captured(tx, p));
    case 'voided':
      return void (await facts.voided(tx, p, p.cancelReason));
    case 'refunded':
      return void (await facts.refunded(tx, p));
    case undefined:
      return;
  }
}

/** Settles with `work`, or rejects as soon as `signal` aborts, even if the provider ignores the signal. */
function withDeadline<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('the provider call was abandoned'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = work();
  // The losing side of the race must not surface as an unhandled rejection.
  running.catch(() => {});
  aborted.catch(() => {});
  return Promise.race([running, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}
