import { Link } from 'react-router';

/** The query string of `params` with `page` set (page 1 drops it), for links that keep the other filters. */
export function pageHref(params: URLSearchParams, page: number): string {
  const next = new URLSearchParams(params);
  if (page <= 1) next.delete('page');
  else next.set('page', String(page));
  const query = next.toString();
  return query ? `?${query}` : '?';
}

/** Previous and next links around "Page X of Y"; nothing when everything fits on one page. */
export function Pager({ page, pages, params }: { page: number; pages: number; params: URLSearchParams }) {
  if (pages <= 1) return null;
  return (
    <nav className="shop-pager" aria-label="Pages">
      {page > 1 ? <Link to={pageHref(params, page - 1)} rel="prev">← Previous</Link> : <span aria-hidden="true" className="muted">← Previous</span>}
      <span aria-current="page">Page {page} of {pages}</span>
      {page < pages ? <Link to={pageHref(params, page + 1)} rel="next">Next →</Link> : <span aria-hidden="true" className="muted">Next →</span>}
    </nav>
  );
}

/** The page number in `params` (?page=), at least 1. */
export function pageOf(params: URLSearchParams): number {
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page > 1 ? page : 1;
}
