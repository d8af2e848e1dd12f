const format = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const formatDay = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });

/** A moment as the shopper reads it ("Nov 24, 2026, 6:26 AM"), machine-readable in `dateTime`. */
export function DateTime({ iso, dateOnly = false, className }: { iso: string; dateOnly?: boolean; className?: string }) {
  const date = new Date(iso);
  return <time dateTime={iso} className={className}>{(dateOnly ? formatDay : format).format(date)}</time>;
}
