import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Peak throughput and latency of one URL, as wrk measured them. */
export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
}

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s)\b/.exec(text);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** Runs wrk (closed loop: each connection sends its next request when the last one answers). */
export async function wrk(url: string, opts: { threads: number; connections: number; seconds: number; headers?: Record<string, string> }): Promise<WrkResult> {
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 20 });
  const line = (re: RegExp) => re.exec(stdout)?.[1] ?? '';
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(line(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: ms(line(/\s50%\s+(\S+)/)),
    p99Ms: ms(line(/\s99%\s+(\S+)/)),
    non2xx: Number(line(/Non-2xx or 3xx responses:\s+(\d+)/) || 0),
    socketErrors: errors ? errors.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
  };
}
