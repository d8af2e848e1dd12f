import catalog from '@emporium/catalog';
import gateway from '@emporium/gateway';
import identity from '@emporium/identity';
import notifications from '@emporium/notifications';
import type { ServiceDefinition } from '@emporium/kit';

/** Every backend service, in start order (the gateway comes last, once they answer). */
export const BACKENDS: readonly ServiceDefinition[] = [identity, catalog, notifications] as unknown as ServiceDefinition[];
export const GATEWAY = gateway as unknown as ServiceDefinition;

/** The setting that tells the gateway where a service's replicas are. */
export const GATEWAY_UPSTREAM_SETTING: Record<string, string> = {
  identity: 'IDENTITY_URLS',
  catalog: 'CATALOG_URL',
  notifications: 'NOTIFICATIONS_URL',
};

/** Development accounts: created on first start, refused in production. */
export const DEV_ACCOUNTS = {
  admin: { email: 'admin@emporium.dev', password: 'emporium-admin', name: 'Emporium Admin' },
  shopper: { email: 'shopper@emporium.dev', password: 'emporium-shopper', name: 'Sam Shopper' },
} as const;
