import { useEffect, useId, type ReactNode, type RefObject } from 'react';
import { ApiError } from '../api.ts';

/** The attributes a form control needs to be tied to its label, hint and error. */
export interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** Turns a validator's message ("must NOT have fewer than 8 characters") into one a shopper reads. */
function humanize(message: string): string {
  const fewer = /fewer than (\d+) (characters|items)/.exec(message);
  if (fewer) return fewer[1] === '1' ? 'This is required.' : `Use at least ${fewer[1]} ${fewer[2]}.`;
  const more = /more than (\d+) (characters|items)/.exec(message);
  if (more) return `Use at most ${more[1]} ${more[2]}.`;
  if (message.includes('format "email"')) return 'Enter a valid email address.';
  if (message.startsWith('must match pattern')) return 'This is not in a valid format.';
  const bound = /must be ([<>]=?) (\d+)/.exec(message);
  if (bound) return bound[1]!.startsWith('>') ? `Must be at least ${bound[2]}.` : `Must be at most ${bound[2]}.`;
  return message.charAt(0).toUpperCase() + message.slice(1) + (message.endsWith('.') ? '' : '.');
}

/**
 * The field messages of a refused request, keyed by the field's path in the body without the
 * `body/` prefix and joined with dots: `email`, `shippingAddress.city`, `payment.cardNumber`.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError) || !error.problem.errors) return out;
  for (const { path, message } of error.problem.errors) {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'body') parts.shift();
    const required = /required property '([^']+)'/.exec(message);
    if (required) parts.push(required[1]!);
    const key = parts.join('.');
    out[key] ??= required ? 'This is required.' : humanize(message);
  }
  return out;
}

/** A refused form's problem: its detail, or its title and the field messages not shown beside a field. */
export function FormProblem({ error, shown = [] }: { error: unknown; shown?: string[] }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) return <div className="error shop-problem" role="alert"><p>{(error as Error).message}</p></div>;
  const fields = fieldErrors(error);
  const keys = Object.keys(fields);
  if (!keys.length) return <div className="error shop-problem" role="alert"><p>{error.message}</p></div>;
  const rest = keys.filter((k) => !shown.includes(k));
  return (
    <div className="error shop-problem" role="alert">
      <p>{error.problem.title}{rest.length < keys.length ? '. Please correct the marked fields.' : '.'}</p>
      {rest.length > 0 && <ul>{rest.map((k) => <li key={k}>{k || 'Request'}: {fields[k]}</li>)}</ul>}
    </div>
  );
}

/** After a refusal, moves the focus to the form's first field marked invalid, so a keyboard user lands on it. */
export function useFocusInvalid(form: RefObject<HTMLFormElement | null>, error: unknown) {
  useEffect(() => {
    if (error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error, form]);
}

/** A labelled form control with an optional hint and error; `children` renders the control with the ids it is given. */
export function Field({ label, error, hint, children, className }: { label: string; error?: string | undefined; hint?: ReactNode; className?: string; children: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`shop-field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error && <p id={errorId} className="shop-field-error">{error}</p>}
      {hint && <div id={hintId} className="shop-field-hint">{hint}</div>}
    </div>
  );
}
