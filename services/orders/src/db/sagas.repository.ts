import type { Queryable } from '@emporium/kit';
import type { Saga, SagaStatus } from '@emporium/contracts/orders';

/** A saga as the orchestrator holds it: where it is, what it did, and its data. */
export interface SagaState<D> {
  id: string;
  orderId: string;
  status: SagaStatus;
  /** The step running, or the step being compensated. */
  step: string;
  /** Steps that succeeded, oldest first. */
  completed: string[];
  /** Steps still to compensate, newest first; the first is being compensated. */
  compensations: string[];
  data: D;
  reason: string | null;
  attempts: number;
  lastError: string | null;
}

interface SagaRow {
  id: string;
  order_id: string;
  status: SagaStatus;
  step: string;
  completed: string[];
  compensations: string[];
  data: unknown;
  reason: string | null;
  attempts: number;
  last_error: string | null;
}

const parse = <D>(row: SagaRow): SagaState<D> => ({
  id: row.id,
  orderId: row.order_id,
  status: row.status,
  step: row.step,
  completed: row.completed,
  compensations: row.compensations,
  data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as D,
  reason: row.reason,
  attempts: row.attempts,
  lastError: row.last_error,
});

const COLUMNS = 'id, order_id, status, step, completed, compensations, data, reason, attempts, last_error';

/** Inserts a new saga with its first deadline `deadlineMs` from now. */
export async function insertSaga<D>(q: Queryable, saga: SagaState<D>, deadlineMs: number): Promise<void> {
  await q.query(
    `INSERT INTO sagas (id, order_id, status, step, completed, compensations, data, reason, deadline_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9 * interval '1 millisecond')`,
    [saga.id, saga.orderId, saga.status, saga.step, saga.completed, saga.compensations, JSON.stringify(saga.data), saga.reason, deadlineMs],
  );
}

/** The saga of an order, locked for the rest of the transaction. */
export async function lockSaga<D>(q: Queryable, orderId: string): Promise<SagaState<D> | undefined> {
  const { rows } = await q.query<SagaRow>(`SELECT ${COLUMNS} FROM sagas WHERE order_id = $1 FOR UPDATE`, [orderId]);
  return rows[0] && parse<D>(rows[0]);
}

/** Sagas whose deadline has passed, locked; those another replica holds are skipped. */
export async function claimExpiredSagas<D>(q: Queryable, limit: number): Promise<SagaState<D>[]> {
  const { rows } = await q.query<SagaRow>(
    `SELECT ${COLUMNS} FROM sagas WHERE status IN ('RUNNING', 'COMPENSATING') AND deadline_at < now()
     ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => parse<D>(r));
}

/** Writes the saga back; `deadlineMs` sets a new deadline from now, null clears it. */
export async function saveSaga<D>(q: Queryable, saga: SagaState<D>, deadlineMs: number | null): Promise<void> {
  await q.query(
    `UPDATE sagas SET status = $2, step = $3, completed = $4, compensations = $5, data = $6, reason = $7, attempts = $8, last_error = $9,
       deadline_at = CASE WHEN $10::integer IS NULL THEN NULL ELSE now() + $10::integer * interval '1 millisecond' END, updated_at = now()
     WHERE id = $1`,
    [saga.id, saga.status, saga.step, saga.completed, saga.compensations, JSON.stringify(saga.data), saga.reason, saga.attempts, saga.lastError, deadlineMs],
  );
}

/** Adds an entry to a saga's timeline. */
export async function logSaga(q: Queryable, sagaId: string, step: string, action: string, detail: string | null = null): Promise<void> {
  await q.query('INSERT INTO saga_log (saga_id, step, action, detail) VALUES ($1, $2, $3, $4)', [sagaId, step, action, detail]);
}

interface SagaViewRow {
  id: string;
  order_id: string;
  status: SagaStatus;
  step: string;
  deadline_at: Date | string | null;
  stuck: boolean;
  last_error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  total: string | number;
}

const iso = (v: Date | string) => new Date(v).toISOString();

const toSaga = (r: SagaViewRow, timelines: Map<string, Saga['timeline']>): Saga => ({
  id: r.id,
  orderId: r.order_id,
  status: r.status,
  step: r.step,
  deadlineAt: r.deadline_at === null ? null : iso(r.deadline_at),
  stuck: r.stuck,
  lastError: r.last_error,
  timeline: timelines.get(r.id) ?? [],
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const STUCK = `(status = 'FAILED' OR (status IN ('RUNNING', 'COMPENSATING') AND deadline_at < now()))`;

/** A page of sagas for the console: `problem` keeps the failed ones and those past their deadline. */
export async function listSagas(q: Queryable, opts: { problemOnly: boolean; status?: SagaStatus; limit: number; offset: number }): Promise<{ items: Saga[]; total: number }> {
  const { rows } = await q.query<SagaViewRow>(
    `SELECT id, order_id, status, step, deadline_at, last_error, created_at, updated_at,
            ${STUCK} AS stuck, count(*) OVER () AS total
     FROM sagas
     WHERE ($1::boolean IS FALSE OR ${STUCK})
       AND ($2::text IS NULL OR status = $2)
     ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4`,
    [opts.problemOnly, opts.status ?? null, opts.limit, opts.offset],
  );
  const timelines = await timelinesOf(q, rows.map((r) => r.id));
  const items = rows.map((r) => toSaga(r, timelines));
  return { items, total: Number(rows[0]?.total ?? 0) };
}

/** One saga for the console, or undefined. */
export async function findSaga(q: Queryable, id: string): Promise<Saga | undefined> {
  const { rows } = await q.query<SagaViewRow>(
    `SELECT id, order_id, status, step, deadline_at, last_error, created_at, updated_at,
            ${STUCK} AS stuck, 1 AS total
     FROM sagas WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return toSaga(r, await timelinesOf(q, [r.id]));
}

async function timelinesOf(q: Queryable, ids: string[]): Promise<Map<string, Saga['timeline']>> {
  const out = new Map<string, Saga['timeline']>();
  if (!ids.length) return out;
  const { rows } = await q.query<{ saga_id: string; step: string; action: string; detail: string | null; at: Date | string }>(
    'SELECT saga_id, step, action, detail, at FROM saga_log WHERE saga_id = ANY($1::uuid[]) ORDER BY seq',
    [ids],
  );
  for (const row of rows) {
    const list = out.get(row.saga_id) ?? [];
    list.push({ step: row.step, action: row.action, detail: row.detail, at: iso(row.at) });
    out.set(row.saga_id, list);
  }
  return out;
}

/** How many sagas are in each status, for the metrics. */
export async function countSagasByStatus(q: Queryable): Promise<Array<{ status: SagaStatus; n: number }>> {
  const { rows } = await q.query<{ status: SagaStatus; n: string | number }>('SELECT status, count(*) AS n FROM sagas GROUP BY status');
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
}
