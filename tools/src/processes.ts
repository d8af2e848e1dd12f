import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A child process that serves HTTP at `url`. */
export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** The last lines it printed, to explain a failed start. */
  recent?: string[];
}

/** Starts `node <args>` as its own process on `port`, prefixing each output line with `name`. */
export function spawnNode(name: string, args: readonly string[], port: number, env: Record<string, string | undefined>, onLine: (line: string) => void): ServerProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      onLine(`[${name}] ${line}`);
    });
  }
  return { name, url: `http://127.0.0.1:${port}`, child, recent };
}

/** Starts a TypeScript entry point through tsx. */
export function spawnTs(name: string, entry: string, port: number, env: Record<string, string | undefined>, onLine: (line: string) => void): ServerProcess {
  return spawnNode(name, ['--import', 'tsx', entry], port, env, onLine);
}

/** Defined as `true` by `npm run build` (tools/src/build.ts); through tsx it is not defined at all. */
declare const __EMPORIUM_BUILT__: boolean | undefined;

/** Whether this code runs from the build's output, not from the sources through tsx. */
export const RUNS_BUILT = typeof __EMPORIUM_BUILT__ !== 'undefined' && __EMPORIUM_BUILT__;

/** Starts a service's process: its built `dist/main.js` when the launcher is built, else its source through tsx. */
export function spawnService(name: string, service: string, port: number, env: Record<string, string | undefined>, onLine: (line: string) => void): ServerProcess {
  return RUNS_BUILT
    ? spawnNode(name, [`${ROOT}services/${service}/dist/main.js`], port, env, onLine)
    : spawnTs(name, `${ROOT}services/${service}/src/main.ts`, port, env, onLine);
}

/** Waits until `GET url+path` answers 2xx; fails early if the process exits. */
export async function waitReady(server: ServerProcess, path = '/health/ready', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      const tail = server.recent?.length ? `; its last lines:\n${server.recent.join('\n')}` : '';
      throw new Error(`${server.name} exited with code ${server.child.exitCode}${tail}`);
    }
    try {
      if ((await fetch(`${server.url}${path}`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${server.name} was not ready within ${timeoutMs / 1000} s`);
}

/** Sends SIGTERM and waits for the exit; SIGKILL after the grace period. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
