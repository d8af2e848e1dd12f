import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import type { ApiError } from '../api.ts';
import { useAuth } from '../auth.tsx';

/** A loading placeholder that screen readers announce. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return <p className="loading" role="status" aria-live="polite">{what}…</p>;
}

/** An error as the API described it, with a way to try again. */
export function ErrorBox({ error, retry }: { error: ApiError | Error; retry?: () => void }) {
  return (
    <div className="error" role="alert">
      <p>{error.message}</p>
      {retry && <button type="button" onClick={retry}>Try again</button>}
    </div>
  );
}

/** Shows `children` to signed-in users; others are asked to sign in. */
export function RequireUser({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const location = useLocation();
  if (!ready) return <Loading />;
  if (!user) return <div className="notice"><p>Please <Link to="/signin" state={{ from: location.pathname }}>sign in</Link> to see this page.</p></div>;
  return <>{children}</>;
}

/** Shows `children` to admins only; anyone else sees a refusal, never a blank page. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user, ready, isAdmin } = useAuth();
  if (!ready) return <Loading />;
  if (!user) return <div className="notice"><p>Please <Link to="/signin">sign in</Link> with an admin account.</p></div>;
  if (!isAdmin) return <div className="error refused" role="alert"><h1>Access refused</h1><p>This page needs the admin role.</p></div>;
  return <>{children}</>;
}
