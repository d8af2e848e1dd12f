import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useFocusInvalid } from './shop-form.tsx';

/** A link to the sign-in page that brings the shopper back here afterwards. */
export function SignInLink({ children, className }: { children: ReactNode; className?: string }) {
  const location = useLocation();
  return <Link to="/signin" state={{ from: location.pathname + location.search }} className={className}>{children}</Link>;
}

/** Where to go after signing in: the page the shopper came from (a path on this site), else home. */
export function returnPath(state: unknown, params: URLSearchParams): string {
  const from = (state as { from?: unknown } | null)?.from ?? params.get('next');
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') ? from : '/';
}

/**
 * The submit handling that signing in and registering share: `run` is tried once per submit;
 * on success the shopper goes back where they came from, on refusal the error is kept (and the
 * first invalid field focused) for the form to show.
 */
export function useAuthForm(run: () => Promise<void>) {
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const form = useRef<HTMLFormElement>(null);
  useFocusInvalid(form, error);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await run();
      void navigate(returnPath(location.state, params), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return { form, busy, error, submit, state: location.state as unknown };
}
