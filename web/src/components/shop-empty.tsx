import type { ReactNode } from 'react';

/** A calm message where a list has nothing to show, with an optional way forward. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="shop-empty">
      <p className="shop-empty-title">{title}</p>
      {children}
    </div>
  );
}
