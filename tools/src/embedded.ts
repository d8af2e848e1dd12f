import { join } from 'node:path';
import { buildService, InProcessTransport, PGliteHost, type BuiltService, type SettingsSource } from '@emporium/kit';
import { BACKENDS, GATEWAY, GATEWAY_UPSTREAM_SETTING } from './services.ts';
import { parseLauncherSettings, platformEnvironment, resetDefaultFaults } from './settings.ts';

/** The platform running in one process. */
export interface EmbeddedPlatform {
  gatewayUrl: string;
  /** Each service's own URL. */
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts every service in this process: one PGlite data directory with a schema per service,
 * one in-process event transport, each service on its own 127.0.0.1 listener, and the gateway
 * in front of them. Event delivery starts once every service is up, so every subscription
 * exists before the first relay publishes.
 */
export async function startEmbedded(source: SettingsSource): Promise<EmbeddedPlatform> {
  const settings = parseLauncherSettings(source);
  const host = await PGliteHost.open(join(settings.DATA_DIR, 'pglite-embedded'));
  const started: BuiltService[] = [];
  const urls: Record<string, string> = {};
  const stop = async () => {
    for (const service of started.reverse()) await service.close();
    await host.close();
  };
  try {
    const env = platformEnvironment(source);
    await resetDefaultFaults(source);
    const transport = new InProcessTransport();
    for (const def of BACKENDS) {
      const port = settings.SERVICE_PORT_BASE === 0 ? 0 : settings.SERVICE_PORT_BASE + (def.defaultPort % 100);
      // Only the gateway faces the network: the services stay on loopback whatever HOST says.
      const service = await buildService(def, { source: { ...env, HOST: '127.0.0.1', PORT: String(port) }, db: await host.database(def.name), transport });
      started.push(service);
      urls[def.name] = await service.listen();
      env[GATEWAY_UPSTREAM_SETTING[def.name]!] = urls[def.name];
      if (def.name === 'identity') env.IDENTITY_URL = urls[def.name];
    }
    for (const service of started) await service.start();
    // In one process the services' own work (PGlite runs on this event loop, migrations too) lags
    // the loop the gateway measures: shedding on that lag would refuse requests for work already
    // admitted. The in-flight limit still sheds; a lag threshold stays an explicit choice here.
    const gateway = await buildService(GATEWAY, { source: { SHED_EVENT_LOOP_DELAY_MS: '60000', ...env, PORT: String(settings.PORT) } });
    started.push(gateway);
    urls.gateway = await gateway.listen();
    return { gatewayUrl: urls.gateway, urls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
