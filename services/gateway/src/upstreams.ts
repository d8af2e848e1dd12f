import type { ServiceContext, Upstream, UpstreamOptions } from '@emporium/kit';
import type { gatewaySettings } from './config.ts';

/** Which service answers which public path prefix under /api/v1. */
export const ROUTES = [
  { prefix: '/auth', service: 'identity' },
  { prefix: '/users', service: 'identity' },
  { prefix: '/products', service: 'catalog' },
  { prefix: '/categories', service: 'catalog' },
  { prefix: '/inventory', service: 'inventory' },
  { prefix: '/cart', service: 'cart' },
  { prefix: '/orders', service: 'orders' },
  // The console's saga operations, served by orders; the gateway answers its other /ops routes itself.
  { prefix: '/ops/sagas', service: 'orders' },
  { prefix: '/payments', service: 'payments' },
  { prefix: '/shipments', service: 'shipping' },
  { prefix: '/shipping', service: 'shipping' },
  { prefix: '/notifications', service: 'notifications' },
  { prefix: '/recommendations', service: 'recommendations' },
] as const;

/** A service the gateway calls. */
export type UpstreamName = (typeof ROUTES)[number]['service'];

/** The clients of a set of services, one per service. */
export type Upstreams = Map<UpstreamName, Upstream>;

/** Every upstream service's replica URLs, from the gateway's settings. */
export function upstreamUrls(s: ServiceContext<typeof gatewaySettings>['settings']): Record<UpstreamName, readonly string[]> {
  return {
    identity: s.IDENTITY_URLS ?? [s.IDENTITY_URL],
    catalog: s.CATALOG_URL,
    inventory: s.INVENTORY_URL,
    cart: s.CART_URL,
    orders: s.ORDERS_URL,
    payments: s.PAYMENTS_URL,
    shipping: s.SHIPPING_URL,
    notifications: s.NOTIFICATIONS_URL,
    recommendations: s.RECOMMENDATIONS_URL,
  };
}

/** The limits a set of clients share: everything but the name and the URLs. */
export type UpstreamLimits = Omit<UpstreamOptions, 'name' | 'urls'>;

/**
 * Creates one resilient client per upstream service (or per service in `only`), balanced over
 * its replicas. Each call makes new pools, breakers and bulkheads, so traffic with other limits
 * (event streams, the dashboard) is kept apart from the proxy's.
 */
export function createUpstreams(ctx: ServiceContext<typeof gatewaySettings>, limits: UpstreamLimits, only?: readonly UpstreamName[]): Upstreams {
  const upstreams: Upstreams = new Map();
  for (const [name, list] of Object.entries(upstreamUrls(ctx.settings)) as Array<[UpstreamName, readonly string[]]>) {
    if (!only || only.includes(name)) upstreams.set(name, ctx.upstream({ name, urls: list, ...limits }));
  }
  return upstreams;
}
