import { Pool } from 'undici';

/** Latency of one URL under a fixed request rate. */
export interface FixedRateResult {
  targetRps: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * An open-loop load: requests are sent on a fixed schedule whatever the server does, and each
 * latency is measured from the moment the request was due, not from when it was sent. A server
 * that stalls is therefore charged for the queue it causes (no coordinated omission).
 */
export async function fixedRate(url: string, opts: { rps: number; seconds: number; connections?: number; headers?: Record<string, string> }): Promise<FixedRateResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: opts.connections ?? 128, pipelining: 1 });
  const path = target.pathname + target.search;
  const total = Math.round(opts.rps * opts.seconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let errors = 0;
  const start = performance.now();
  const finished = new Promise<void>((resolve) => {
    const fire = (due: number, i: number) => {
      pool
        .request({ method: 'GET', path, headers: opts.headers })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 400) errors++;
        })
        .catch(() => void errors++)
        .finally(() => {
          latencies[i] = performance.now() - due;
          if (++done === total) resolve();
        });
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * opts.rps));
      for (; sent < due; sent++) fire(start + (sent / opts.rps) * 1000, sent);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const sorted = latencies.sort();
  return {
    targetRps: opts.rps,
    achievedRps: Math.round(total / elapsed),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    errors,
  };
}
