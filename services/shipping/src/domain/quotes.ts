import type { ItemQuantity, Money } from '@emporium/contracts/common';
import type { Quote, ShippingService } from '@emporium/contracts/shipping';

/** Where a parcel goes, as far as price and speed are concerned. */
export type Zone = 'domestic' | 'near' | 'europe' | 'world';

const NEAR = new Set(['CA', 'MX']);
const EUROPE = new Set([
  'AD', 'AL', 'AT', 'BA', 'BE', 'BG', 'BY', 'CH', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FO', 'FR', 'GB', 'GG', 'GI', 'GR',
  'HR', 'HU', 'IE', 'IM', 'IS', 'IT', 'JE', 'LI', 'LT', 'LU', 'LV', 'MC', 'MD', 'ME', 'MK', 'MT', 'NL', 'NO', 'PL', 'PT', 'RO',
  'RS', 'RU', 'SE', 'SI', 'SK', 'SM', 'UA', 'VA', 'XK',
]);

/** The zone of an ISO 3166-1 alpha-2 country code; the warehouse is in the US. */
export function zoneOf(country: string): Zone {
  if (country === 'US') return 'domestic';
  if (NEAR.has(country)) return 'near';
  return EUROPE.has(country) ? 'europe' : 'world';
}

/** Whether parcels can go to `country` at all. */
export function isServed(country: string, unserved: readonly string[]): boolean {
  return !unserved.includes(country);
}

/** The currency every shipping price is in. */
export const SHIPPING_CURRENCY = 'USD';

/** Who carries each service. */
export const CARRIERS: Record<ShippingService, string> = { standard: 'Emporium Post', express: 'Emporium Express' };

interface Rate {
  /** The price of the first item, in cents. */
  first: number;
  /** The price of each further item, in cents. */
  perItem: number;
  days: number;
}

/** Prices and speeds per service and zone. */
const RATES: Record<ShippingService, Record<Zone, Rate>> = {
  standard: {
    domestic: { first: 499, perItem: 100, days: 5 },
    near: { first: 999, perItem: 200, days: 7 },
    europe: { first: 1_499, perItem: 300, days: 10 },
    world: { first: 1_999, perItem: 400, days: 14 },
  },
  express: {
    domestic: { first: 1_499, perItem: 200, days: 2 },
    near: { first: 2_499, perItem: 300, days: 3 },
    europe: { first: 3_499, perItem: 500, days: 4 },
    world: { first: 4_999, perItem: 600, days: 6 },
  },
};

/** How many items the lines hold in all. */
export function itemCount(items: readonly ItemQuantity[]): number {
  return items.reduce((sum, line) => sum + line.quantity, 0);
}

/** The price and speed of one service for `items` sent to `country` (a served one). */
export function quote(service: ShippingService, country: string, items: readonly ItemQuantity[]): Quote {
  const rate = RATES[service][zoneOf(country)];
  const count = Math.max(itemCount(items), 1);
  const price: Money = { amount: rate.first + rate.perItem * (count - 1), currency: SHIPPING_CURRENCY };
  return { service, carrier: CARRIERS[service], price, estimatedDays: rate.days };
}

/** Every way to send `items` to `country` (a served one), cheapest first. */
export function quotes(country: string, items: readonly ItemQuantity[]): Quote[] {
  return [quote('standard', country, items), quote('express', country, items)];
}

/** The calendar date (UTC, YYYY-MM-DD) that lies `days` after `from`. */
export function estimatedDelivery(from: Date, days: number): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
