import { useState, type ReactNode } from 'react';

/**
 * A button that runs one API call: it asks `confirm` first when given, shows it is busy, and
 * shows the API's refusal beside itself. It stays focusable while busy (aria-disabled, not disabled).
 */
export function ActionButton<T>({ children, label, confirm, run, onDone, variant }: {
  children: ReactNode;
  /** Extra words for screen readers, e.g. which order the button acts on. */
  label?: string;
  confirm?: string;
  run: () => Promise<T>;
  onDone?: (result: T) => void;
  variant?: 'secondary' | 'danger';
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function click() {
    if (busy || (confirm && !window.confirm(confirm))) return;
    setBusy(true);
    setError(undefined);
    try {
      onDone?.(await run());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="admin-action">
      <button type="button" className={variant} aria-disabled={busy || undefined} onClick={() => void click()}>
        {children}
        {label && <span className="admin-sr"> {label}</span>}
        {busy && <span aria-hidden="true">…</span>}
      </button>
      {error && <span className="admin-inline-error" role="alert">{error}</span>}
    </span>
  );
}
