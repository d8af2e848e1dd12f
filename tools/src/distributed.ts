import type { SettingsSource } from '@emporium/kit';
import { spawnService, stopProcess, waitReady, type ServerProcess } from './processes.ts';
import { BACKENDS, GATEWAY, GATEWAY_UPSTREAM_SETTING } from './services.ts';
import { parseLauncherSettings, platformEnvironment, replicaCounts, resetDefaultFaults } from './settings.ts';

/** One OS process of one service. */
export interface Replica extends ServerProcess {
  service: string;
  index: number;
  port: number;
}

/** The platform running as separate processes. */
export interface DistributedPlatform {
  gatewayUrl: string;
  replicas: Replica[];
  /** Kills a replica at once (SIGKILL: no drain, no goodbye), as a crash would. */
  kill(replica: Replica): Promise<void>;
  /** Starts a replica again on its port, after a kill or a stop, and waits until it is ready. */
  restart(replica: Replica): Promise<Replica>;
  stop(): Promise<void>;
}

function startReplica(service: string, index: number, port: number, env: Record<string, string | undefined>, onLine: (line: string) => void): Replica {
  const server = spawnService(`${service}#${index}`, service, port, env, onLine);
  return { ...server, service, index, port };
}

/**
 * Starts each service as its own OS process (as many replicas as REPLICAS asks), each on its own
 * database `emporium_<service>` on DATABASE_URL and with events over JetStream on NATS_URL,
 * then the gateway pointed at every replica.
 */
export async function startDistributed(source: SettingsSource, onLine: (line: string) => void): Promise<DistributedPlatform> {
  const settings = parseLauncherSettings(source);
  if (!settings.DATABASE_URL) throw new Error('The distributed mode needs DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres');
  if (!settings.NATS_URL) throw new Error('The distributed mode needs NATS_URL (NATS with JetStream), e.g. NATS_URL=nats://127.0.0.1:4222');
  const counts = replicaCounts(settings.REPLICAS, BACKENDS.map((d) => d.name));
  const replicas: Replica[] = [];
  const stop = async () => {
    // The gateway first, so nothing new comes in while the services drain.
    const order = [...replicas].reverse();
    await Promise.all(order.filter((r) => r.service === 'gateway').map((r) => stopProcess(r.child)));
    await Promise.all(order.filter((r) => r.service !== 'gateway').map((r) => stopProcess(r.child)));
  };
  try {
    const env = platformEnvironment(source);
    await resetDefaultFaults(source);
    const base = settings.SERVICE_PORT_BASE === 0 ? 18100 : settings.SERVICE_PORT_BASE;
    for (const def of BACKENDS) {
      const mine: Replica[] = [];
      for (let i = 0; i < counts[def.name]!; i++) {
        mine.push(startReplica(def.name, i, base + i * 100 + (def.defaultPort % 100), env, onLine));
      }
      replicas.push(...mine);
      // Replicas of one service start together: migrations serialize on an advisory lock.
      await Promise.all(mine.map((r) => waitReady(r)));
      env[GATEWAY_UPSTREAM_SETTING[def.name]!] = mine.map((r) => r.url).join(',');
      if (def.name === 'identity') env.IDENTITY_URL = mine[0]!.url;
    }
    const gateway = startReplica(GATEWAY.name, 0, settings.PORT, env, onLine);
    replicas.push(gateway);
    await waitReady(gateway);
    const kill = async (replica: Replica) => {
      if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
      const exited = new Promise((resolve) => replica.child.once('exit', resolve));
      replica.child.kill('SIGKILL');
      await exited;
    };
    const restart = async (replica: Replica) => {
      await stopProcess(replica.child);
      const again = startReplica(replica.service, replica.index, replica.port, env, onLine);
      replicas.splice(replicas.indexOf(replica), 1, again);
      await waitReady(again);
      return again;
    };
    return { gatewayUrl: gateway.url, replicas, kill, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
