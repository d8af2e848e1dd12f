import { setting, type SettingsSpec } from '@emporium/kit';

/** inventory's own settings, beyond the common ones. */
export const inventorySettings = {
  /** How long a reservation holds its stock before the sweep gives it back (default 15 minutes). */
  RESERVATION_TTL_MS: setting.int({ min: 1_000, max: 7 * 24 * 3_600_000 }).with(15 * 60_000),
  /** How often the sweep looks for expired reservations. */
  RESERVATION_SWEEP_MS: setting.int({ min: 100, max: 3_600_000 }).with(5_000),
} satisfies SettingsSpec;
