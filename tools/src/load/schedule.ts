/** A seeded PRNG (mulberry32): uniform numbers in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seed for stream `n` of a run seeded `seed`, so that each session's choices do not depend on the others'. */
export function substreamSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Arrival times of a Poisson process of `ratePerSecond`, in ms from 0: each gap is exponential
 * with mean 1000 / rate. Endless; the caller stops taking.
 */
export function* poissonArrivals(ratePerSecond: number, random: () => number): Generator<number, never> {
  let t = 0;
  for (;;) {
    t += (-Math.log(1 - random()) / ratePerSecond) * 1000;
    yield t;
  }
}

/** One of `weights`' keys, with probability proportional to its weight. */
export function pickWeighted<K extends string>(weights: Readonly<Record<K, number>>, random: () => number): K {
  const entries = (Object.entries(weights) as Array<[K, number]>).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [k, w] of entries) {
    if (r < w) return k;
    r -= w;
  }
  return entries[entries.length - 1]![0];
}

/** Time, as the scheduler sees it: real in a run, simulated in a test. */
export interface Clock {
  /** Milliseconds, from any origin. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const realClock: Clock = { now: () => performance.now(), sleep };

/**
 * A signal for one operation: aborted when `parent` aborts or after `timeoutMs`. `dispose()`
 * unhooks it from the parent; unlike AbortSignal.any, nothing stays attached to a long-lived
 * parent (nodejs/node#55351).
 */
export function operationSignal(parent: AbortSignal, timeoutMs: number): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const ctl = new AbortController();
  let timedOut = false;
  const onParent = () => ctl.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new DOMException('The operation timed out.', 'TimeoutError'));
  }, timeoutMs);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/**
 * Open loop: calls `onArrival` at each arrival time (ms after `clock.now()` at the call) before
 * `endMs`, however long earlier arrivals take (it is not awaited). Arrivals that are already due
 * when the clock is read (a late timer, a busy event loop) are started at once, each told how
 * late it is. Returns at `endMs`, or early when `signal` aborts, with how many arrivals were started.
 */
export async function runArrivals(opts: {
  arrivals: Iterator<number>;
  clock: Clock;
  endMs: number;
  signal?: AbortSignal;
  onArrival: (index: number, dueMs: number, lateMs: number) => void;
}): Promise<number> {
  const start = opts.clock.now();
  let index = 0;
  for (;;) {
    const next = opts.arrivals.next();
    if (next.done || next.value >= opts.endMs) {
      // The window lasts until endMs, even when its last arrival came earlier.
      const rest = opts.endMs - (opts.clock.now() - start);
      if (rest > 0 && !opts.signal?.aborted) await opts.clock.sleep(rest, opts.signal);
      break;
    }
    const wait = next.value - (opts.clock.now() - start);
    if (wait > 0) await opts.clock.sleep(wait, opts.signal);
    if (opts.signal?.aborted) break;
    opts.onArrival(index++, next.value, Math.max(0, opts.clock.now() - start - next.value));
  }
  return index;
}
