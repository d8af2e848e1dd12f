import { setting, type SettingsSpec } from '@emporium/kit';

/** Parses "KP,IR" into country codes; "none" means every country is served. */
function parseCountries(raw: string): readonly string[] | undefined {
  if (raw.toLowerCase() === 'none') return [];
  const codes = raw.split(',').map((c) => c.trim().toUpperCase());
  return codes.every((c) => /^[A-Z]{2}$/.test(c)) ? Object.freeze([...new Set(codes)]) : undefined;
}

/** shipping's own settings, beyond the common ones. */
export const shippingSettings = {
  /** Countries no carrier serves: quotes answer 422 and schedules fail. */
  SHIPPING_UNSERVED_COUNTRIES: setting
    .custom('comma-separated ISO 3166-1 alpha-2 country codes (e.g. "KP,IR"), or "none"', parseCountries)
    .with(['KP', 'IR', 'SY', 'CU']),
} satisfies SettingsSpec;
