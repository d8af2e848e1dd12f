import { useState, type ChangeEvent, type FormEvent } from 'react';
import type { CategoryList, CreateProductBody, Product, UpdateProductBody } from '@emporium/contracts/catalog';
import { api, ApiError } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Field, FormProblem, fieldErrorsOf, type FieldProps } from './admin-form.tsx';

const MAX_CENTS = 100_000_000_00;

/** "12.5", "$1,299" or ".99" in dollars → integer cents; undefined when it is not a price. */
export function dollarsToCents(text: string): number | undefined {
  const match = /^(\d*)(?:\.(\d{1,2}))?$/.exec(text.trim().replace(/^\$/, '').replace(/,/g, ''));
  if (!match || (!match[1] && !match[2])) return undefined;
  const cents = Number(match[1] || '0') * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return cents <= MAX_CENTS ? cents : undefined;
}

interface Draft { sku: string; name: string; description: string; price: string; category: string; initialStock: string }

const draftOf = (p?: Product): Draft => ({
  sku: p?.sku ?? '',
  name: p?.name ?? '',
  description: p?.description ?? '',
  price: p ? (p.price.amount / 100).toFixed(2) : '',
  category: p?.category.slug ?? '',
  initialStock: '0',
});

/** Only the fields the admin changed, as PUT /products/:id takes them. */
function changesOf(p: Product, d: Draft, cents: number): UpdateProductBody {
  const body: UpdateProductBody = {};
  if (d.sku.trim() !== p.sku) body.sku = d.sku.trim();
  if (d.name.trim() !== p.name) body.name = d.name.trim();
  if (d.description !== p.description) body.description = d.description;
  if (cents !== p.price.amount) body.price = { amount: cents, currency: p.price.currency };
  if (d.category !== p.category.slug) body.category = d.category;
  return body;
}

/** Where the API's error codes point in the form. */
const fieldOfCode: Record<string, keyof Draft> = { CATALOG_SKU_TAKEN: 'sku', CATALOG_UNKNOWN_CATEGORY: 'category' };

/** The product form: creates a product (POST /products) or, given `product`, saves only its changed fields (PUT). */
export function ProductForm({ product, onSaved, onCancel }: { product?: Product; onSaved(p: Product): void; onCancel?(): void }) {
  const [draft, setDraft] = useState(() => draftOf(product));
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const set = (key: keyof Draft) => (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const cents = dollarsToCents(draft.price);
    const stock = Number(draft.initialStock);
    const mistakes: Record<string, string> = {};
    if (cents === undefined) mistakes.price = 'Enter a price in dollars, such as 12.50.';
    if (!product && !(draft.initialStock.trim() !== '' && Number.isInteger(stock) && stock >= 0)) mistakes.initialStock = 'Enter a whole number, 0 or more.';
    setInvalid(mistakes);
    setNote('');
    if (cents === undefined || Object.keys(mistakes).length) {
      setError(new Error('Some fields need a change: see the message under each.'));
      return;
    }
    setError(undefined);
    const body: CreateProductBody | UpdateProductBody = product
      ? changesOf(product, draft, cents)
      : { sku: draft.sku.trim(), name: draft.name.trim(), description: draft.description, price: { amount: cents, currency: 'USD' }, category: draft.category, initialStock: stock };
    if (product && Object.keys(body).length === 0) {
      setNote('Nothing to save: no field has changed.');
      return;
    }
    setBusy(true);
    try {
      const saved = await api<Product>(product ? `/products/${product.id}` : '/products', { method: product ? 'PUT' : 'POST', body });
      if (product) setNote(`Saved at ${new Date().toLocaleTimeString('en-US', { timeStyle: 'short' })}.`);
      else setDraft(draftOf());
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fromApi = fieldErrorsOf(error);
  const code = error instanceof ApiError ? fieldOfCode[error.problem.code] : undefined;
  if (code && error instanceof ApiError) fromApi[code] = error.problem.detail;
  const errors: Record<string, string | undefined> = { ...fromApi, ...invalid };

  return (
    <form className="admin-form" onSubmit={(e) => void submit(e)} aria-busy={busy || undefined}>
      <Field label="SKU" error={errors.sku} hint="Letters, digits, dots, dashes and underscores.">
        {(p) => <input {...p} value={draft.sku} onChange={set('sku')} required maxLength={64} autoComplete="off" spellCheck={false} />}
      </Field>
      <Field label="Name" error={errors.name}>
        {(p) => <input {...p} value={draft.name} onChange={set('name')} required maxLength={200} />}
      </Field>
      <Field label="Price (USD)" error={errors.price} hint="In dollars, such as 12.50.">
        {(p) => <input {...p} value={draft.price} onChange={set('price')} required inputMode="decimal" autoComplete="off" />}
      </Field>
      <Field label="Category" error={errors.category}>
        {(p) => <CategorySelect {...p} value={draft.category} onChange={set('category')} />}
      </Field>
      {!product && (
        <Field label="Initial stock" error={errors.initialStock}>
          {(p) => <input {...p} type="number" min={0} step={1} value={draft.initialStock} onChange={set('initialStock')} required inputMode="numeric" />}
        </Field>
      )}
      <Field label="Description" error={errors.description} wide>
        {(p) => <textarea {...p} value={draft.description} onChange={set('description')} rows={3} maxLength={2000} />}
      </Field>
      <div className="admin-form-end">
        <FormProblem error={error} />
        <p className="admin-note" role="status">{note}</p>
        <div className="row">
          <button type="submit" aria-disabled={busy || undefined}>{product ? 'Save changes' : 'Create product'}{busy && <span aria-hidden="true">…</span>}</button>
          {onCancel && <button type="button" className="secondary" onClick={onCancel}>Cancel</button>}
        </div>
      </div>
    </form>
  );
}

/** The category select, filled from GET /categories, with its own loading and error states. */
function CategorySelect({ value, onChange, ...field }: FieldProps & { value: string; onChange(e: ChangeEvent<HTMLSelectElement>): void }) {
  const { data, error, reload } = useApi<CategoryList>('/categories');
  return (
    <>
      <select {...field} value={value} onChange={onChange} required disabled={!data}>
        <option value="">{data ? 'Choose a category' : error ? 'Categories could not be loaded' : 'Loading categories…'}</option>
        {data?.data.map((c) => <option key={c.slug} value={c.slug}>{c.name}</option>)}
      </select>
      {error && !data && (
        <span className="admin-inline-error" role="alert">
          {error.message} <button type="button" className="link" onClick={reload}>Try again</button>
        </span>
      )}
    </>
  );
}
