import type { ServiceContext, Upstream } from '@emporium/kit';
import type { gatewaySettings } from './config.ts';

/** Which service answers which public path prefix under /api/v1. */
export const ROUTES = [
  { prefix: '/auth', service: 'identity' },
  { prefix: '/users', service: 'identity' },
  { prefix: '/products', service: 'catalog' },
  { prefix: '/categories', service: 'catalog' },
  { prefix: '/notifications', service: 'notifications' },
] as const;

export type UpstreamName = (typeof ROUTES)[number]['service'];

/** Creates one resilient client per upstream service, balanced over its replicas. */
export function createUpstreams(ctx: ServiceContext<typeof gatewaySettings>): Map<UpstreamName, Upstream> {
  const s = ctx.settings;
  const urls: Record<UpstreamName, readonly string[]> = {
    identity: s.IDENTITY_URLS ?? [s.IDENTITY_URL],
    catalog: s.CATALOG_URL,
    notifications: s.NOTIFICATIONS_URL,
  };
  const upstreams = new Map<UpstreamName, Upstream>();
  for (const [name, list] of Object.entries(urls) as Array<[UpstreamName, readonly string[]]>) {
    upstreams.set(name, ctx.upstream({ name, urls: list, timeoutMs: s.UPSTREAM_TIMEOUT_MS }));
  }
  return upstreams;
}
