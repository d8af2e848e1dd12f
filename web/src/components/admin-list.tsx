import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Pagination } from '@emporium/contracts/common';

/** Builds `?a=1&b=2` from the values that are set (empty strings and undefined are left out). */
export function queryString(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A list's filters and page, kept in the address so Back and reload keep them; any filter change goes back to page 1. */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const get = (key: string) => params.get(key) ?? '';
  const update = (changes: Record<string, string>) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      if (!('page' in changes)) next.delete('page');
      return next;
    });
  return { page, get, update, setPage: (p: number) => update({ page: p > 1 ? String(p) : '' }) };
}

/** Previous / next buttons under a list, with where the reader is ("Page 2 of 5 · 93 orders"). */
export function Pager({ pagination, noun, onPage }: { pagination: Pagination; noun: string; onPage(page: number): void }) {
  const { page, pages, total } = pagination;
  return (
    <nav className="admin-pager" aria-label={`Pages of ${noun}`}>
      <button type="button" className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {Math.min(page, Math.max(pages, 1))} of {Math.max(pages, 1)} · {total} {noun}</span>
      <button type="button" className="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

/** A table that scrolls sideways inside its own box on narrow screens, reachable by keyboard. */
export function TableWrap({ label, busy, children }: { label: string; busy?: boolean; children: ReactNode }) {
  return (
    <div className="table-wrap admin-table" role="region" aria-label={label} aria-busy={busy || undefined} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

/** A select of statuses that filters a list; "All" clears the filter. */
export function StatusFilter({ value, options, onChange }: { value: string; options: readonly string[]; onChange(value: string): void }) {
  return (
    <label className="admin-filter">
      Status
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((s) => <option key={s} value={s}>{s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()}</option>)}
      </select>
    </label>
  );
}

/** What an empty list says; past the last page it offers the way back to the first. */
export function EmptyList({ page, onFirstPage, children }: { page: number; onFirstPage(): void; children: ReactNode }) {
  if (page > 1) {
    return (
      <div className="notice">
        <p>There is nothing on page {page}.</p>
        <button type="button" className="secondary" onClick={onFirstPage}>Back to page 1</button>
      </div>
    );
  }
  return <p className="notice">{children}</p>;
}
