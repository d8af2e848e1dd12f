import { useEffect, type ReactNode } from 'react';
import { NavLink } from 'react-router';

/** The top of every admin page: the back-office sub-navigation, the page heading and the tab title. */
export function AdminHeader({ title, children }: { title: string; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Admin · Emporium`;
  }, [title]);
  return (
    <div className="admin-head">
      <nav className="admin-nav" aria-label="Back-office">
        <NavLink to="/admin" end>Products</NavLink>
        <NavLink to="/admin/orders">Orders</NavLink>
        <NavLink to="/admin/shipments">Shipments</NavLink>
      </nav>
      <div className="admin-title">
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}
