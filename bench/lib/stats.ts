/** Latency percentiles of a sample, in milliseconds. */
export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
}

/** Percentiles by rank on the sorted sample. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999) };
}

/** Calls `fire` on a fixed schedule (open loop) for `seconds`; resolves once every call has settled. */
export async function atFixedRate(rate: number, seconds: number, fire: (i: number) => Promise<void>): Promise<void> {
  const total = Math.round(rate * seconds);
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; sent < due; sent++) pending.push(fire(sent));
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
}
