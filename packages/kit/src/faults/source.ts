import { unwatchFile, watchFile } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FlagdProvider } from '@openfeature/flagd-provider';
import { NOOP_PROVIDER, OpenFeature, ProviderEvents, ProviderStatus, type Client, type Logger as FeatureLogger } from '@openfeature/server-sdk';
import type { Logger } from '../logger.ts';

/**
 * One faults file's flags, as an OpenFeature client: flagd's provider in its in-process mode,
 * reading the file offline and watching it. A process holds one per file, however many of its
 * services use it (embedded mode runs them all in one), released when the last one closes.
 */
export interface FlagSource {
  readonly path: string;
  readonly client: Client;
  /** Calls `fn` whenever the file's flags may have changed (and once the provider is ready again). */
  onChange(fn: () => void): () => void;
  release(): Promise<void>;
}

interface Shared {
  source: Promise<SharedSource>;
  users: number;
}

const shared = new Map<string, Shared>();

/**
 * The flags of the file at `path`, shared by the callers in this process. The file is created
 * empty when it does not exist, since the provider watches only a file it could read.
 */
export async function acquireFlagSource(path: string, pollMs: number, log: Logger): Promise<FlagSource> {
  const absolute = resolve(path);
  let entry = shared.get(absolute);
  if (!entry) {
    const created: Shared = { source: SharedSource.open(absolute, pollMs, log), users: 0 };
    entry = created;
    shared.set(absolute, created);
    created.source.catch(() => shared.delete(absolute));
  }
  entry.users++;
  const source = await entry.source.catch((err: unknown) => {
    entry.users--;
    throw err;
  });
  const handlers = new Set<() => void>();
  let released = false;
  return {
    path: absolute,
    client: source.client,
    onChange(fn) {
      source.listeners.add(fn);
      handlers.add(fn);
      return () => {
        source.listeners.delete(fn);
        handlers.delete(fn);
      };
    },
    async release() {
      if (released) return;
      released = true;
      for (const fn of handlers) source.listeners.delete(fn);
      if (--entry.users === 0 && shared.get(absolute) === entry) {
        shared.delete(absolute);
        await source.close();
      }
    },
  };
}

/** The OpenFeature logger interface over the service's pino logger; the provider's chatter goes to debug. */
function featureLogger(log: Logger): FeatureLogger {
  return {
    error: (...args: unknown[]) => log.warn({ flagd: args.map(String).join(' ') }, 'faults: the flags provider reported an error'),
    warn: (...args: unknown[]) => log.warn({ flagd: args.map(String).join(' ') }, 'faults: the flags provider warns'),
    info: (...args: unknown[]) => log.debug({ flagd: args.map(String).join(' ') }, 'faults: flags provider'),
    debug: (...args: unknown[]) => log.debug({ flagd: args.map(String).join(' ') }, 'faults: flags provider'),
  };
}

class SharedSource {
  readonly listeners = new Set<() => void>();
  private readonly domain: string;
  private readonly onFileChange = () => this.fileChanged();
  private readonly onProviderEvent = () => this.emit();
  private recovering = false;
  private closed = false;

  private constructor(
    readonly path: string,
    readonly client: Client,
    private readonly log: Logger,
  ) {
    this.domain = `emporium-faults:${path}`;
  }

  static async open(path: string, pollMs: number, log: Logger): Promise<SharedSource> {
    await mkdir(dirname(path), { recursive: true });
    // Created only if absent ('wx'): another process may have written faults there already.
    await writeFile(path, '{"flags": {}}\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const domain = `emporium-faults:${path}`;
    const client = OpenFeature.getClient(domain);
    client.setLogger(featureLogger(log));
    const source = new SharedSource(path, client, log);
    // The provider polls the file with fs.watchFile at Node's default 5 s. Node keeps one poller per
    // file in a process, started by the first watcher with that one's interval: this watcher,
    // first, makes it `pollMs`; it also notices the file when the provider lost it (below).
    watchFile(path, { interval: pollMs, persistent: false }, source.onFileChange);
    client.addHandler(ProviderEvents.ConfigurationChanged, source.onProviderEvent);
    client.addHandler(ProviderEvents.Ready, source.onProviderEvent);
    await source.start();
    return source;
  }

  /** Sets a new provider for the file; a file that does not parse leaves no fault on, with a warning. */
  private async start(): Promise<void> {
    const provider = new FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: this.path }, featureLogger(this.log));
    try {
      await OpenFeature.setProviderAndWait(this.domain, provider);
    } catch (err) {
      this.log.warn({ file: this.path, err: (err as Error).message }, 'faults: the faults file cannot be read as flagd flags; no fault is on until it can');
    }
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * The provider stops watching a file it failed to read at start; once the file changes, a new
   * provider tries again. (While the provider is ready it sees the change itself.)
   */
  private fileChanged(): void {
    if (this.closed || this.recovering || this.client.providerStatus !== ProviderStatus.ERROR) return;
    this.recovering = true;
    void this.start().finally(() => (this.recovering = false));
  }

  async close(): Promise<void> {
    this.closed = true;
    unwatchFile(this.path, this.onFileChange);
    this.client.removeHandler(ProviderEvents.ConfigurationChanged, this.onProviderEvent);
    this.client.removeHandler(ProviderEvents.Ready, this.onProviderEvent);
    // Replacing the provider closes it (it stops watching the file).
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER);
    this.listeners.clear();
  }
}
