import { useState, type FormEvent } from 'react';
import type { SetStockBody, Stock } from '@emporium/contracts/inventory';
import { api } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorBox, Loading } from './status.tsx';
import { Field, FormProblem, fieldErrorsOf } from './admin-form.tsx';

/** A product's stock from inventory (available and reserved) and a form that sets what is available. */
export function StockEditor({ productId, onChanged }: { productId: string; onChanged?(stock: Stock): void }) {
  const stock = useApi<Stock>(`/inventory/${productId}`);
  if (!stock.data) {
    if (stock.error) return <ErrorBox error={stock.error} retry={stock.reload} />;
    return <Loading what="Loading stock" />;
  }
  return <StockForm key={productId} stock={stock.data} onSaved={(s) => { stock.reload(); onChanged?.(s); }} />;
}

function StockForm({ stock, onSaved }: { stock: Stock; onSaved(stock: Stock): void }) {
  const [value, setValue] = useState(String(stock.available));
  const [error, setError] = useState<unknown>();
  const [invalid, setInvalid] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const available = Number(value);
    setNote('');
    setError(undefined);
    if (value.trim() === '' || !Number.isInteger(available) || available < 0) {
      setInvalid('Enter a whole number, 0 or more.');
      return;
    }
    setInvalid(undefined);
    setBusy(true);
    try {
      const body: SetStockBody = { available };
      const saved = await api<Stock>(`/inventory/${stock.productId}`, { method: 'PUT', body });
      setNote(`Available stock set to ${saved.available}. The product list follows within moments.`);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fieldError = invalid ?? fieldErrorsOf(error).available;
  return (
    <form className="admin-stock" onSubmit={(e) => void submit(e)}>
      <dl className="admin-facts">
        <div><dt>Available</dt><dd>{stock.available}</dd></div>
        <div><dt>Reserved</dt><dd>{stock.reserved}</dd></div>
      </dl>
      <Field label="Available stock" error={fieldError} hint="Units that can still be ordered. Reserved units are not touched.">
        {(p) => <input {...p} type="number" min={0} step={1} inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} required />}
      </Field>
      <div className="row">
        <button type="submit" aria-disabled={busy || undefined}>Set stock{busy && <span aria-hidden="true">…</span>}</button>
      </div>
      <FormProblem error={error} />
      <p className="admin-note" role="status">{note}</p>
    </form>
  );
}
