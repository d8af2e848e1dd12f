import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthProvider } from './auth.tsx';
import { Layout } from './components/layout.tsx';
import { RequireAdmin, RequireUser } from './components/status.tsx';
import { AdminOrders } from './pages/admin/orders.tsx';
import { AdminProducts } from './pages/admin/products.tsx';
import { AdminShipments } from './pages/admin/shipments.tsx';
import { ConsoleDeadLetters } from './pages/console/dead-letters.tsx';
import { ConsoleFaults } from './pages/console/faults.tsx';
import { ConsoleOverview } from './pages/console/overview.tsx';
import { ConsoleSagas } from './pages/console/sagas.tsx';
import { ConsoleTraces } from './pages/console/traces.tsx';
import { Cart } from './pages/shop/cart.tsx';
import { Checkout } from './pages/shop/checkout.tsx';
import { Home } from './pages/shop/home.tsx';
import { Notifications } from './pages/shop/notifications.tsx';
import { OrderPage } from './pages/shop/order.tsx';
import { Orders } from './pages/shop/orders.tsx';
import { ProductPage } from './pages/shop/product.tsx';
import { Products } from './pages/shop/products.tsx';
import { Register } from './pages/shop/register.tsx';
import { SignIn } from './pages/shop/signin.tsx';

/** Every page, by path: the storefront for all, the back-office and the console for admins. */
export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Home />} />
            <Route path="products" element={<Products />} />
            <Route path="products/:id" element={<ProductPage />} />
            <Route path="cart" element={<Cart />} />
            <Route path="checkout" element={<RequireUser><Checkout /></RequireUser>} />
            <Route path="orders" element={<RequireUser><Orders /></RequireUser>} />
            <Route path="orders/:id" element={<RequireUser><OrderPage /></RequireUser>} />
            <Route path="notifications" element={<RequireUser><Notifications /></RequireUser>} />
            <Route path="signin" element={<SignIn />} />
            <Route path="register" element={<Register />} />
            <Route path="admin" element={<RequireAdmin><AdminProducts /></RequireAdmin>} />
            <Route path="admin/orders" element={<RequireAdmin><AdminOrders /></RequireAdmin>} />
            <Route path="admin/shipments" element={<RequireAdmin><AdminShipments /></RequireAdmin>} />
            <Route path="console" element={<RequireAdmin><ConsoleOverview /></RequireAdmin>} />
            <Route path="console/sagas" element={<RequireAdmin><ConsoleSagas /></RequireAdmin>} />
            <Route path="console/dead-letters" element={<RequireAdmin><ConsoleDeadLetters /></RequireAdmin>} />
            <Route path="console/traces" element={<RequireAdmin><ConsoleTraces /></RequireAdmin>} />
            <Route path="console/faults" element={<RequireAdmin><ConsoleFaults /></RequireAdmin>} />
            <Route path="*" element={<div className="notice"><h1>Not found</h1><p>There is no page here.</p></div>} />
          </Route>
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}
