import { useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { CategoryList, ProductPage } from '@emporium/contracts/catalog';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { Pager, pageOf } from '../../components/shop-pager.tsx';
import { ProductCard } from '../../components/shop-product-card.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

const PAGE_SIZE = 12;
const SORTS = ['price', '-price', 'name', '-createdAt'];

/** The catalog: search as you type, a category filter, a sort and pages, all kept in the URL. */
export function Products() {
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const category = params.get('category') ?? '';
  const sort = SORTS.includes(params.get('sort') ?? '') ? params.get('sort')! : '';
  const page = pageOf(params);

  const query = new URLSearchParams({ limit: String(PAGE_SIZE), page: String(page) });
  if (search) query.set('search', search);
  if (category) query.set('category', category);
  if (sort) query.set('sort', sort);
  const { data, error, loading, reload } = useApi<ProductPage>(`/products?${query}`);

  /** Sets one filter in the URL and goes back to the first page. */
  const setFilter = (name: string, value: string, replace = false) => {
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (value) next.set(name, value);
      else next.delete(name);
      next.delete('page');
      return next;
    }, { replace });
  };

  return (
    <div className="shop-products">
      <h1>Products</h1>
      <div className="shop-filters">
        <SearchBox value={search} onSearch={(text, replace) => setFilter('search', text, replace)} />
        <CategorySelect value={category} onChange={(v) => setFilter('category', v)} />
        <div className="shop-field">
          <label htmlFor="shop-sort">Sort by</label>
          <select id="shop-sort" value={sort} onChange={(e) => setFilter('sort', e.target.value)}>
            <option value="">{search ? 'Best match' : 'Newest'}</option>
            {search && <option value="-createdAt">Newest</option>}
            <option value="price">Price: low to high</option>
            <option value="-price">Price: high to low</option>
            <option value="name">Name</option>
          </select>
        </div>
      </div>

      <p className="muted shop-result-count" role="status" aria-live="polite">
        {data && !loading ? resultLine(data.pagination.total, search) : ''}
      </p>

      {loading && !data ? <Loading what="Loading products" /> : error ? <ErrorBox error={error} retry={reload} /> : data && data.data.length === 0 ? (
        <Empty title={search ? `Nothing matches “${search}”${category ? ' in this category' : ''}.` : 'No products here yet.'}>
          {(search || category) && <p><Link to="/products">Clear the search and filters</Link></p>}
        </Empty>
      ) : data && (
        <>
          <div className={`grid shop-grid${loading ? ' shop-stale' : ''}`} aria-busy={loading}>
            {data.data.map((p) => <ProductCard key={p.id} product={p} />)}
          </div>
          <Pager page={data.pagination.page} pages={data.pagination.pages} params={params} />
        </>
      )}
    </div>
  );
}

/** "12 products", or "3 results for “mug”". */
function resultLine(total: number, search: string): string {
  const n = `${total} ${search ? (total === 1 ? 'result' : 'results') : total === 1 ? 'product' : 'products'}`;
  return search ? `${n} for “${search}”` : n;
}

/** The search field: it updates the URL 250 ms after the shopper stops typing, or at once on Enter. */
function SearchBox({ value, onSearch }: { value: string; onSearch: (text: string, replace: boolean) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const sent = useRef(value);

  // The URL changed from elsewhere (back button, a link): show what it says.
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);

  const latest = useRef(onSearch);
  latest.current = onSearch;
  useEffect(() => {
    const wanted = text.trim();
    if (wanted === sent.current) return;
    const timer = setTimeout(() => {
      sent.current = wanted;
      latest.current(wanted, true);
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  return (
    <form role="search" className="shop-field shop-search" onSubmit={(e) => {
      e.preventDefault();
      const wanted = text.trim();
      if (wanted !== sent.current) {
        sent.current = wanted;
        onSearch(wanted, false);
      }
    }}>
      <label htmlFor={id}>Search products</label>
      <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Try “espresso” or “headphones”" autoComplete="off" />
    </form>
  );
}

/** The category filter, from GET /categories; while they load, only "All categories" is offered. */
function CategorySelect({ value, onChange }: { value: string; onChange: (slug: string) => void }) {
  const { data, error } = useApi<CategoryList>('/categories');
  return (
    <div className="shop-field">
      <label htmlFor="shop-category">Category</label>
      <select id="shop-category" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={error ? 'shop-category-error' : undefined}>
        <option value="">All categories</option>
        {data?.data.map((c) => <option key={c.id} value={c.slug}>{c.name} ({c.productCount})</option>)}
        {value && !data?.data.some((c) => c.slug === value) && <option value={value}>{value}</option>}
      </select>
      {error && <p id="shop-category-error" className="shop-field-error">Categories could not be loaded.</p>}
    </div>
  );
}
