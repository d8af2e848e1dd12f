import type { Queryable } from '@emporium/kit';
import type { Money } from '@emporium/contracts/common';
import type { TaskKind } from '../domain/payment-rules.ts';

/** An open provider call, as the command handlers see it. */
export interface OpenTask {
  id: string;
  kind: TaskKind;
  attempts: number;
}

/** A task claimed by the worker, with what its provider call needs. */
export interface ClaimedTask {
  id: string;
  paymentId: string;
  kind: TaskKind;
  /** Claims so far, this one included. */
  attempts: number;
  /** This claim's lease: only its holder may apply the answer. */
  lease: string;
  /** The provider's token for the card, on an open authorize only. */
  paymentToken: string | null;
  /** The amount to capture or refund, in the payment's currency. */
  amount: Money;
  providerReference: string | null;
}

/** A provider call to make for a payment. */
export interface NewTask {
  paymentId: string;
  kind: TaskKind;
  paymentToken?: string;
  amount?: number;
  reason?: string;
  byAdmin?: boolean;
}

/** Records a provider call to make; a payment has at most one call of each kind, so a repeat adds nothing. */
export async function insertTask(q: Queryable, t: NewTask): Promise<void> {
  await q.query(
    `INSERT INTO payment_tasks (payment_id, kind, payment_token, amount, reason, by_admin) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (payment_id, kind) DO NOTHING`,
    [t.paymentId, t.kind, t.paymentToken ?? null, t.amount ?? null, t.reason ?? null, t.byAdmin ?? false],
  );
}

/** The payment's open task, locked until the transaction ends. Lock the payment first. */
export async function lockOpenTask(q: Queryable, paymentId: string): Promise<OpenTask | undefined> {
  const { rows } = await q.query<OpenTask>('SELECT id, kind, attempts FROM payment_tasks WHERE payment_id = $1 AND done_at IS NULL FOR UPDATE', [paymentId]);
  return rows[0];
}

/** A task's lease and details, locked until the transaction ends. Lock its payment first. */
export async function lockTask(q: Queryable, id: string): Promise<{ lease: string | null; done: boolean; reason: string | null; byAdmin: boolean; amount: number | null } | undefined> {
  const { rows } = await q.query<{ lease: string | null; done: boolean; reason: string | null; by_admin: boolean; amount: number | null }>(
    'SELECT lease, done_at IS NOT NULL AS done, reason, by_admin, amount FROM payment_tasks WHERE id = $1 FOR UPDATE',
    [id],
  );
  const r = rows[0];
  return r && { lease: r.lease, done: r.done, reason: r.reason, byAdmin: r.by_admin, amount: r.amount === null ? null : Number(r.amount) };
}

/**
 * Claims up to `limit` due tasks for this worker. Each claim counts as an attempt and pushes the
 * task's due time `leaseMs` ahead, so no other worker takes it while its call is out; if this
 * worker dies, the task is due again when the lease runs out. SKIP LOCKED lets replicas claim
 * side by side.
 */
export async function claimDueTasks(q: Queryable, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
  const { rows } = await q.query<{
    id: string;
    payment_id: string;
    kind: TaskKind;
    attempts: number;
    lease: string;
    payment_token: string | null;
    task_amount: number | null;
    amount: number;
    currency: string;
    provider_reference: string | null;
  }>(
    `UPDATE payment_tasks t
     SET attempts = t.attempts + 1, lease = gen_random_uuid(), next_attempt_at = now() + ($2::bigint * interval '1 millisecond')
     FROM payments p
     WHERE p.id = t.payment_id AND t.id IN (
       SELECT id FROM payment_tasks WHERE done_at IS NULL AND next_attempt_at <= now()
       ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING t.id, t.payment_id, t.kind, t.attempts, t.lease, t.payment_token, t.amount AS task_amount, p.amount, p.currency, p.provider_reference`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    id: r.id,
    paymentId: r.payment_id,
    kind: r.kind,
    attempts: r.attempts,
    lease: r.lease,
    paymentToken: r.payment_token,
    amount: { amount: Number(r.task_amount ?? r.amount), currency: r.currency },
    providerReference: r.provider_reference,
  }));
}

/** Closes a task: its call is answered (or abandoned), and its card token is forgotten. */
export async function finishTask(q: Queryable, id: string, outcome: string, lastError?: string): Promise<void> {
  await q.query(
    'UPDATE payment_tasks SET done_at = now(), outcome = $2, last_error = coalesce($3, last_error), payment_token = NULL, lease = NULL WHERE id = $1',
    [id, outcome, lastError ?? null],
  );
}

/** Puts a task back to be tried again in `delayMs`, with the error that stopped this attempt. */
export async function rescheduleTask(q: Queryable, id: string, delayMs: number, error: string): Promise<void> {
  await q.query(
    "UPDATE payment_tasks SET next_attempt_at = now() + ($2::bigint * interval '1 millisecond'), last_error = $3, lease = NULL WHERE id = $1",
    [id, Math.round(delayMs), error.slice(0, 2000)],
  );
}

/** Gives a claimed task back at once (the worker is stopping before its call was answered). */
export async function releaseLease(q: Queryable, id: string, lease: string): Promise<void> {
  await q.query('UPDATE payment_tasks SET next_attempt_at = now(), lease = NULL WHERE id = $1 AND lease = $2', [id, lease]);
}
