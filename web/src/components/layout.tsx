import { NavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from '../auth.tsx';

/** The frame of every page: the header with its navigation, then the page. */
export function Layout() {
  const { user, isAdmin, signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="site-header">
        <NavLink to="/" className="brand">Emporium</NavLink>
        <nav aria-label="Main">
          <NavLink to="/products">Shop</NavLink>
          <NavLink to="/cart">Cart</NavLink>
          {user && <NavLink to="/orders">Orders</NavLink>}
          {user && <NavLink to="/notifications">Inbox</NavLink>}
          {isAdmin && <NavLink to="/admin">Admin</NavLink>}
          {isAdmin && <NavLink to="/console">Console</NavLink>}
          {user ? (
            <button type="button" className="link" onClick={() => { signOut(); void navigate('/'); }}>Sign out</button>
          ) : (
            <NavLink to="/signin">Sign in</NavLink>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
