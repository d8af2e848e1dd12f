import { useEffect, useRef, useState, type ReactNode } from 'react';
import { NavLink } from 'react-router';
import { ApiError } from '../api.ts';

/** The console's own sub-navigation, shown at the top of each of its pages. */
export function ConsoleNav() {
  return (
    <nav className="console-nav" aria-label="Console">
      <NavLink to="/console" end>Overview</NavLink>
      <NavLink to="/console/sagas">Sagas</NavLink>
      <NavLink to="/console/dead-letters">Dead letters</NavLink>
      <NavLink to="/console/traces">Traces</NavLink>
      <NavLink to="/console/faults">Faults</NavLink>
    </nav>
  );
}

/** The colour class of a status word: green for healthy, amber for in between, red for broken. */
export function tone(status: string): 'ok' | 'warn' | 'bad' | 'neutral' {
  if (['ok', 'closed', 'COMPLETED'].includes(status)) return 'ok';
  if (['degraded', 'half-open', 'RUNNING', 'COMPENSATING', 'isolated'].includes(status)) return 'warn';
  if (['failing', 'down', 'open', 'FAILED', 'invalid', 'failed'].includes(status)) return 'bad';
  return 'neutral';
}

/** A status word as a coloured badge; the word itself carries the meaning, the colour only helps. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge console-badge ${tone(status)}`}>{label ?? status}</span>;
}

/** How long ago (or in how long) `iso` is, in a few words: "12 s ago", "in 3 min". */
export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs < 60_000 ? [Math.round(abs / 1000), 's'] : abs < 3_600_000 ? [Math.round(abs / 60_000), 'min'] : abs < 86_400_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'd'];
  if (n === 0) return 'just now';
  return ms < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** A moment, shown relative to now with the full date and time on hover and for machines. */
export function When({ iso, className }: { iso: string | null; className?: string }) {
  if (!iso) return <span className="muted">—</span>;
  const full = new Date(iso).toLocaleString();
  return <time dateTime={iso} title={full} className={className}>{relative(iso)}</time>;
}

/** What an action answered: a success message, or the API's problem with its code. */
export type ActionOutcome = { ok: true; message: ReactNode } | { ok: false; error: Error };

/** Shows an action's outcome: success as a status, a problem as an alert with its title, detail and code. */
export function Outcome({ outcome, onDismiss }: { outcome: ActionOutcome; onDismiss?: () => void }) {
  const dismiss = onDismiss && <button type="button" className="link console-dismiss" onClick={onDismiss}>Dismiss</button>;
  if (outcome.ok) {
    return <div className="console-outcome ok" role="status"><p>{outcome.message}</p>{dismiss}</div>;
  }
  const err = outcome.error;
  if (err instanceof ApiError) {
    const p = err.problem;
    return (
      <div className="error console-outcome" role="alert">
        <p><strong>{p.title}</strong> <span className="console-code">{p.status ? `${p.status} ` : ''}{p.code}</span></p>
        <p>{p.detail}</p>
        {p.errors?.length ? <ul>{p.errors.map((e) => <li key={`${e.path}:${e.message}`}><code>{e.path}</code> {e.message}</li>)}</ul> : null}
        {dismiss}
      </div>
    );
  }
  return <div className="error console-outcome" role="alert"><p>{err.message}</p>{dismiss}</div>;
}

/**
 * A button for an action that changes something: the first press asks to confirm in place (the
 * confirm button takes the focus, Escape or Cancel backs out), the second runs it.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, danger = false, disabled = false }: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  // Once the question goes away (answered or cancelled), the focus goes back to the button.
  const returnFocus = useRef(false);

  useEffect(() => {
    if (asking) {
      confirmRef.current?.focus();
      returnFocus.current = true;
    } else if (!busy && returnFocus.current) {
      openRef.current?.focus();
      returnFocus.current = false;
    }
  }, [asking, busy]);

  if (!asking) {
    return <button ref={openRef} type="button" className={danger ? 'secondary console-danger' : 'secondary'} disabled={disabled || busy} onClick={() => setAsking(true)}>{busy ? `${label}…` : label}</button>;
  }
  const run = async () => {
    setBusy(true);
    setAsking(false);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="console-confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span className="console-question">{question}</span>
      <button ref={confirmRef} type="button" className={danger ? 'danger' : undefined} onClick={() => void run()}>{confirmLabel}</button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

/** A short id for a table: its first characters, the whole one on hover and for screen readers. */
export function ShortId({ id }: { id: string }) {
  return <code className="console-id" title={id} aria-label={id}>{id.slice(0, 8)}</code>;
}

/** A section's error that keeps what was shown before: the data stays, with a note that it may be stale. */
export function StaleNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return <p className="console-stale" role="status">Could not refresh: {error.message} Showing the last answer.</p>;
}

/** Previous and next page buttons, with where we are. */
export function Pager({ pagination, onPage }: { pagination: { page: number; pages: number; total: number }; onPage: (page: number) => void }) {
  if (pagination.pages <= 1) return null;
  return (
    <nav className="console-pager row" aria-label="Pages">
      <button type="button" className="secondary" disabled={pagination.page <= 1} onClick={() => onPage(pagination.page - 1)}>Previous</button>
      <span>Page {pagination.page} of {pagination.pages} ({pagination.total} in all)</span>
      <button type="button" className="secondary" disabled={pagination.page >= pagination.pages} onClick={() => onPage(pagination.page + 1)}>Next</button>
    </nav>
  );
}

/** The row under a table row that shows its details when expanded (the row's button controls `id`). */
export function DetailRow({ id, columns, children }: { id: string; columns: number; children: ReactNode }) {
  return (
    <tr className="console-detail" id={id}>
      <td colSpan={columns}>
        <div className="console-detail-body">{children}</div>
      </td>
    </tr>
  );
}

/** A table's horizontal scroller for narrow screens, reachable by keyboard so that it can be scrolled with the arrow keys. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>{children}</div>;
}
