import { useId, type ReactNode } from 'react';
import { ApiError } from '../api.ts';

/** What the API said about each field of a refused body: `body/price/amount` counts for `price`. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const e of error.problem.errors ?? []) {
    const field = e.path.replace(/^body\/?/, '').split('/')[0];
    if (field && !out[field]) out[field] = e.message;
  }
  return out;
}

/** A refused form's problem: its title and detail, announced at once. */
export function FormProblem({ error }: { error: unknown }) {
  if (!error) return null;
  const title = error instanceof ApiError ? error.problem.title : 'Not saved';
  const detail = (error as Error).message;
  return (
    <div className="error admin-form-problem" role="alert">
      <p><strong>{title}</strong>{detail && detail !== title ? <> {detail}</> : null}</p>
    </div>
  );
}

/** Props that tie an input to its label and to its error message. */
export interface FieldProps {
  id: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

/** A labelled input with its error (and an optional hint) below it; `children` renders the input from the given props. */
export function Field({ label, error, hint, wide, children }: {
  label: string;
  error?: string;
  hint?: string;
  wide?: boolean;
  children: (props: FieldProps) => ReactNode;
}) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div className={wide ? 'admin-field wide' : 'admin-field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described || undefined })}
      {hint && <p className="admin-hint" id={`${id}-hint`}>{hint}</p>}
      {error && <p className="admin-field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}
