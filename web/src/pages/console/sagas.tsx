import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import type { Pagination } from '@emporium/contracts/common';
import type { Saga } from '@emporium/contracts/orders';
import { api } from '../../api.ts';
import { ConfirmButton, ConsoleNav, DetailRow, Outcome, Pager, ShortId, StaleNote, StatusBadge, TableWrap, When, type ActionOutcome } from '../../components/console-ui.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';
import { useApi } from '../../hooks.ts';

/** GET /ops/sagas: a page of sagas. */
interface SagaPage {
  data: Saga[];
  pagination: Pagination;
}

type Filter = 'problem' | 'all';
type Action = 'retry' | 'compensate';

const REFRESH_MS = 10_000;
const COLUMNS = 7;
/** Which sagas each action applies to; the orders service refuses the others with 409. */
const CAN: Record<Action, ReadonlyArray<Saga['status']>> = {
  retry: ['RUNNING', 'COMPENSATING', 'FAILED'],
  compensate: ['RUNNING', 'COMPLETED', 'FAILED'],
};

/** Checkout sagas for operators: the stuck and failed ones (or all), with their timelines, to retry or compensate. */
export function ConsoleSagas() {
  const [filter, setFilter] = useState<Filter>('problem');
  const [page, setPage] = useState(1);
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const { data, error, loading, reload } = useApi<SagaPage>(`/ops/sagas?filter=${filter}&page=${page}&limit=20`, { refreshMs: REFRESH_MS });

  const choose = (next: Filter) => {
    setFilter(next);
    setPage(1);
  };

  /** Runs an action on a saga, reports its answer, and reloads the list. */
  const act = async (saga: Saga, action: Action) => {
    try {
      const after = await api<Saga>(`/ops/sagas/${saga.id}/${action}`, { method: 'POST' });
      const did = action === 'retry' ? 'Retry sent' : 'Compensation started';
      setOutcome({ ok: true, message: <>{did} for the saga of order <ShortId id={saga.orderId} />: it is now <strong>{after.status}</strong> at step <strong>{after.step}</strong>.</> });
    } catch (err) {
      setOutcome({ ok: false, error: err as Error });
    }
    reload();
  };

  return (
    <div className="console">
      <ConsoleNav />
      <h1>Sagas</h1>
      <p className="muted">Checkout sagas of the orders service. Stuck ones are running or compensating past their deadline; failed ones gave up compensating and need an operator.</p>
      <fieldset className="console-toggle">
        <legend>Show</legend>
        <label><input type="radio" name="saga-filter" checked={filter === 'problem'} onChange={() => choose('problem')} /> Stuck and failed</label>
        <label><input type="radio" name="saga-filter" checked={filter === 'all'} onChange={() => choose('all')} /> All sagas</label>
      </fieldset>
      {outcome && <Outcome outcome={outcome} onDismiss={() => setOutcome(undefined)} />}
      {loading && !data ? (
        <Loading what="Loading the sagas" />
      ) : !data ? (
        <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />
      ) : (
        <>
          <StaleNote error={error} />
          {data.data.length === 0 ? (
            <p className="notice">{filter === 'problem' ? 'No saga is stuck or failed.' : 'There is no saga yet.'}</p>
          ) : (
            <SagaTable sagas={data.data} onAction={act} />
          )}
          <Pager pagination={data.pagination} onPage={setPage} />
        </>
      )}
    </div>
  );
}

/** The sagas, one row each, with an expandable timeline below each row. */
function SagaTable({ sagas, onAction }: { sagas: Saga[]; onAction: (saga: Saga, action: Action) => Promise<void> }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <TableWrap label="Sagas">
      <table className="console-table" data-testid="sagas">
        <caption className="console-sr-only">Sagas</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Status</th>
            <th scope="col">Step</th>
            <th scope="col">Deadline</th>
            <th scope="col">Last error</th>
            <th scope="col">Updated</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sagas.map((saga) => {
            const expanded = open.has(saga.id);
            const overdue = saga.deadlineAt !== null && Date.parse(saga.deadlineAt) < Date.now() && (saga.status === 'RUNNING' || saga.status === 'COMPENSATING');
            return (
              <Fragment key={saga.id}>
                <tr data-testid={`saga-${saga.id}`} className={saga.stuck ? 'console-stuck' : undefined}>
                  <th scope="row"><Link to={`/orders/${saga.orderId}`}><ShortId id={saga.orderId} /></Link></th>
                  <td>
                    <StatusBadge status={saga.status} />
                    {saga.stuck && <> <StatusBadge status="failing" label="stuck" /></>}
                  </td>
                  <td>{saga.step}</td>
                  <td>{saga.deadlineAt ? <When iso={saga.deadlineAt} className={overdue ? 'console-overdue' : undefined} /> : <span className="muted">none</span>}</td>
                  <td className="console-error-text">{saga.lastError ?? <span className="muted">—</span>}</td>
                  <td><When iso={saga.updatedAt} /></td>
                  <td>
                    <div className="console-actions">
                      <button type="button" className="secondary" aria-expanded={expanded} aria-controls={`timeline-${saga.id}`} onClick={() => toggle(saga.id)}>
                        {expanded ? 'Hide timeline' : `Timeline (${saga.timeline.length})`}
                      </button>
                      {CAN.retry.includes(saga.status) && (
                        <ConfirmButton label="Retry" question="Send the current command again?" confirmLabel="Yes, retry" onConfirm={() => onAction(saga, 'retry')} />
                      )}
                      {CAN.compensate.includes(saga.status) && (
                        <ConfirmButton label="Compensate" question="Undo this saga and cancel its order?" confirmLabel="Yes, compensate" danger onConfirm={() => onAction(saga, 'compensate')} />
                      )}
                    </div>
                  </td>
                </tr>
                {expanded && (
                  <DetailRow id={`timeline-${saga.id}`} columns={COLUMNS}>
                    <Timeline saga={saga} />
                  </DetailRow>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** What happened to a saga, oldest first: each step invoked, answered, timed out or undone. */
function Timeline({ saga }: { saga: Saga }) {
  if (saga.timeline.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <ol className="console-timeline" aria-label={`Timeline of the saga of order ${saga.orderId}`}>
      {saga.timeline.map((entry, i) => (
        <li key={`${entry.at}-${i}`}>
          <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>
          <span className="console-step">{entry.step}</span>
          <span className="console-action">{entry.action}</span>
          {entry.detail && <span className="console-detail-text">{entry.detail}</span>}
        </li>
      ))}
    </ol>
  );
}
