import cart from '@emporium/cart';
import catalog from '@emporium/catalog';
import gateway from '@emporium/gateway';
import identity from '@emporium/identity';
import inventory from '@emporium/inventory';
import notifications from '@emporium/notifications';
import orders from '@emporium/orders';
import payments from '@emporium/payments';
import recommendations from '@emporium/recommendations';
import shipping from '@emporium/shipping';
import type { ServiceDefinition } from '@emporium/kit';

/**
 * Every backend service, in start order (the gateway comes last, once they answer). Cart starts
 * before orders, which reads carts; the rest only meet through events.
 */
export const BACKENDS: readonly ServiceDefinition[] = [identity, catalog, inventory, cart, payments, shipping, orders, notifications, recommendations] as unknown as ServiceDefinition[];
export const GATEWAY = gateway as unknown as ServiceDefinition;

/** The setting that tells the gateway (and orders, for the cart) where a service's replicas are. */
export const GATEWAY_UPSTREAM_SETTING: Record<string, string> = {
  identity: 'IDENTITY_URLS',
  catalog: 'CATALOG_URL',
  inventory: 'INVENTORY_URL',
  cart: 'CART_URL',
  orders: 'ORDERS_URL',
  payments: 'PAYMENTS_URL',
  shipping: 'SHIPPING_URL',
  notifications: 'NOTIFICATIONS_URL',
  recommendations: 'RECOMMENDATIONS_URL',
};

/** Development accounts: created on first start; identity stops them signing in with these passwords in production. */
export { DEV_ACCOUNTS } from '@emporium/identity/dev-accounts';
