const tones: Record<string, string> = {
  captured: 'ok', delivered: 'ok',
  pending: 'warn', authorized: 'warn', dispatched: 'warn',
  declined: 'bad', voided: 'bad', cancelled: 'bad',
};

/** A status as a coloured badge; order statuses (upper case) use the shared badge colours. */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  return <span className={`badge ${tones[status] ?? status}`}>{status}</span>;
}

/** The first 8 characters of an id, in a monospace face; the whole id is in its title. */
export function ShortId({ id }: { id: string }) {
  return <code className="admin-id" title={id}>{id.slice(0, 8)}</code>;
}

/** A date and time, readably: "Nov 24, 2026, 6:27 AM". */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}
