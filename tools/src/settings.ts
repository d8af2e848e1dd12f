import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { commonSettings, parseSettings, setting, writeFlagsFile, type SettingsSource } from '@emporium/kit';

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

/** The faults file the launcher gives a platform when FAULTS_FILE is not set: in the data directory, shared by all its processes. */
export function defaultFaultsFile(source: SettingsSource): string {
  return resolve(parseSettings({ DATA_DIR: commonSettings.DATA_DIR }, source).DATA_DIR, 'faults.flagd.json');
}

/**
 * The environment every process of a platform starts from: the launcher's own, plus a scrape
 * token for /metrics made for this run when none is given, so the console can read the
 * services' metrics and nobody else can, and the faults file every process watches (an empty
 * FAULTS_FILE turns faults off).
 */
export function platformEnvironment(source: SettingsSource): Record<string, string | undefined> {
  return { ...source, METRICS_TOKEN: source.METRICS_TOKEN || randomBytes(24).toString('base64url'), FAULTS_FILE: source.FAULTS_FILE ?? defaultFaultsFile(source) };
}

/**
 * A platform starts with no fault on: the launcher empties the faults file it chose itself (a
 * crash fault left on would otherwise end the new platform at its first request). A FAULTS_FILE
 * given by the user is left as it is.
 */
export async function resetDefaultFaults(source: SettingsSource): Promise<void> {
  if (source.FAULTS_FILE !== undefined) return;
  await writeFlagsFile(defaultFaultsFile(source), { flags: {} });
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
