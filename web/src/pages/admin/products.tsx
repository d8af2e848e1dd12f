import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Product, ProductPage } from '@emporium/contracts/catalog';
import { api, money } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { ActionButton } from '../../components/admin-action.tsx';
import { EmptyList, Pager, queryString, TableWrap, useListParams } from '../../components/admin-list.tsx';
import { AdminHeader } from '../../components/admin-nav.tsx';
import { ProductForm } from '../../components/admin-product-form.tsx';
import { StockEditor } from '../../components/admin-stock.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

const PAGE_SIZE = 20;

/** The back-office product list: search, create, edit, delete, and set each product's stock. */
export function AdminProducts() {
  const list = useListParams();
  const search = list.get('q');
  const products = useApi<ProductPage>(`/products${queryString({ search, page: list.page, limit: PAGE_SIZE })}`);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Product | null>(null);
  const [notice, setNotice] = useState('');
  const opener = useRef<HTMLElement | null>(null);

  function edit(p: Product) {
    opener.current = document.activeElement as HTMLElement | null;
    setCreating(false);
    setEditing(p);
  }
  function closeEditor() {
    setEditing(null);
    if (opener.current?.isConnected) opener.current.focus();
  }
  function created(p: Product) {
    setCreating(false);
    setNotice(`Created “${p.name}” (${p.sku}).`);
    list.update({ q: '' });
    products.reload();
  }
  function deleted(p: Product) {
    setNotice(`Deleted “${p.name}” (${p.sku}).`);
    if (editing?.id === p.id) setEditing(null);
    products.reload();
  }
  function stockChanged() {
    products.reload();
    // The catalog's copy of the stock follows inventory's event a moment later.
    setTimeout(products.reload, 1500);
  }

  return (
    <div className="admin">
      <AdminHeader title="Products">
        <button type="button" aria-expanded={creating} onClick={() => { setEditing(null); setCreating((c) => !c); }}>New product</button>
      </AdminHeader>
      <p className="admin-live" role="status">{notice}</p>
      {creating && (
        <Panel title="New product" onClose={() => setCreating(false)}>
          <ProductForm onSaved={created} onCancel={() => setCreating(false)} />
        </Panel>
      )}
      {editing && (
        <Panel key={editing.id} title={`Edit “${editing.name}”`} onClose={closeEditor}>
          <ProductForm key={editing.id} product={editing} onSaved={(p) => { setEditing(p); products.reload(); }} />
          <h3>Stock</h3>
          <StockEditor productId={editing.id} onChanged={stockChanged} />
        </Panel>
      )}
      <ProductSearch value={search} onSearch={(q) => list.update({ q })} />
      {products.error && products.data && <ErrorBox error={products.error} retry={products.reload} />}
      {!products.data ? (
        products.error ? <ErrorBox error={products.error} retry={products.reload} /> : <Loading what="Loading products" />
      ) : products.data.data.length === 0 ? (
        <EmptyList page={list.page} onFirstPage={() => list.setPage(1)}>{search ? `No product matches “${search}”.` : 'There are no products yet.'}</EmptyList>
      ) : (
        <>
          <ProductTable products={products.data.data} busy={products.loading} onEdit={edit} onDeleted={deleted} />
          <Pager pagination={products.data.pagination} noun="products" onPage={list.setPage} />
        </>
      )}
    </div>
  );
}

/** A card with a heading that takes focus when it opens, and a Close button. */
function Panel({ title, onClose, children }: { title: string; onClose(): void; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="card admin-panel">
      <div className="admin-panel-head">
        <h2 ref={heading} tabIndex={-1}>{title}</h2>
        <button type="button" className="secondary" onClick={onClose}>Close</button>
      </div>
      {children}
    </section>
  );
}

function ProductSearch({ value, onSearch }: { value: string; onSearch(q: string): void }) {
  const [text, setText] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(value);
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form role="search" className="admin-toolbar" onSubmit={submit}>
      <label className="admin-filter">
        Search products
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Name or description" maxLength={200} />
      </label>
      <button type="submit">Search</button>
      {value && <button type="button" className="secondary" onClick={() => onSearch('')}>Clear search</button>}
    </form>
  );
}

function ProductTable({ products, busy, onEdit, onDeleted }: { products: Product[]; busy: boolean; onEdit(p: Product): void; onDeleted(p: Product): void }) {
  return (
    <TableWrap label="Products" busy={busy}>
      <thead>
        <tr><th scope="col">Product</th><th scope="col">Category</th><th scope="col" className="num">Price</th><th scope="col" className="num">Stock</th><th scope="col">Actions</th></tr>
      </thead>
      <tbody>
        {products.map((p) => (
          <tr key={p.id}>
            <td>
              <strong>{p.name}</strong>
              <div className="muted admin-sku">{p.sku}</div>
            </td>
            <td>{p.category.name}</td>
            <td className="num">{money(p.price)}</td>
            <td className="num">{p.stock.available === 0 ? <span className="badge bad">0</span> : p.stock.available}</td>
            <td>
              <div className="admin-actions">
                <button type="button" className="secondary" onClick={() => onEdit(p)}>Edit<span className="admin-sr"> {p.name}</span></button>
                <ActionButton
                  variant="danger"
                  label={p.name}
                  confirm={`Delete “${p.name}” (${p.sku})? Shoppers can no longer find or order it. This cannot be undone.`}
                  run={() => api<void>(`/products/${p.id}`, { method: 'DELETE' })}
                  onDone={() => onDeleted(p)}
                >
                  Delete
                </ActionButton>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}
