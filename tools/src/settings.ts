import { randomBytes } from 'node:crypto';
import { commonSettings, parseSettings, setting, type SettingsSource } from '@emporium/kit';

/** The launcher's own settings: where the gateway listens, and where the services go. */
export const launcherSettings = {
  ...commonSettings,
  PORT: setting.port().with(8080),
  /** Services listen on base+1, base+2… (replica r adds r×100); 0 picks free ports. */
  SERVICE_PORT_BASE: setting.port().with(8100),
  /** Replicas per service in distributed mode, e.g. "2" for all, or "catalog=3,identity=2". */
  REPLICAS: setting.string().with('1'),
  /** A web app build to serve instead of web/dist (the launcher then builds nothing). */
  WEB_DIR: setting.string().optional(),
  /** Seed the demo catalog and accounts on a first start. */
  SEED: setting.bool().with(true),
};

export function parseLauncherSettings(source: SettingsSource) {
  return parseSettings(launcherSettings, source);
}

/**
 * The environment every process of a platform starts from: the launcher's own, plus a scrape
 * token for /metrics made for this run when none is given, so the console can read the
 * services' metrics and nobody else can.
 */
export function platformEnvironment(source: SettingsSource): Record<string, string | undefined> {
  return { ...source, METRICS_TOKEN: source.METRICS_TOKEN || randomBytes(24).toString('base64url') };
}

/** Parses REPLICAS: a number for every service, or per-service counts. */
export function replicaCounts(spec: string, services: readonly string[]): Record<string, number> {
  const counts = Object.fromEntries(services.map((s) => [s, 1]));
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean);
  for (const part of parts) {
    const [name, value] = part.includes('=') ? part.split('=', 2) : ['*', part];
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`REPLICAS: "${part}" needs a count from 1 to 16`);
    if (name === '*') for (const s of services) counts[s] = n;
    else if (name! in counts) counts[name!] = n;
    else throw new Error(`REPLICAS: unknown service "${name}" (known: ${services.join(', ')})`);
  }
  return counts;
}
