import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';

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
