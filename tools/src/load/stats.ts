/** The nearest-rank percentile (0 < q <= 1) of an ascending sample; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A growing sample of latencies, sorted lazily and only again after it changed. */
export class Samples {
  private values = new Float64Array(64);
  private n = 0;
  private sortedCopy: Float64Array | null = null;

  push(v: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = v;
    this.sortedCopy = null;
  }

  get count(): number {
    return this.n;
  }

  sorted(): Float64Array {
    this.sortedCopy ??= this.values.slice(0, this.n).sort();
    return this.sortedCopy;
  }

  quantile(q: number): number {
    return percentile(this.sorted(), q);
  }

  max(): number {
    return this.n ? this.sorted()[this.n - 1]! : Number.NaN;
  }
}

/** How a request ended: `ok`, an error kind (`http 503`, `network`, `timeout`), or `aborted` (cut off by the end of the run; not an error). */
export type Outcome = 'ok' | 'aborted' | `http ${number}` | 'network' | 'timeout';

/** One finished request. `atMs` is when it finished, from the start of the run. */
export interface RequestRecord {
  action: string;
  atMs: number;
  latencyMs: number;
  outcome: Outcome;
}

/** One second of a run. Latencies are of the requests that finished in it. */
export interface SecondStats {
  /** Seconds since the start of the run: this row covers [second, second + 1). */
  second: number;
  sessionsStarted: number;
  dropped: number;
  /** Requests that finished in this second (aborted ones excluded). */
  requests: number;
  ok: number;
  errors: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Sessions in flight at the end of the second (when it was sampled). */
  inFlight: number | null;
}

/** One action over the whole run. */
export interface ActionSummary {
  action: string;
  count: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Requests cut off at the end of the run; not counted in `count`. */
  aborted: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);

interface Bucket {
  sessionsStarted: number;
  dropped: number;
  ok: number;
  errors: Record<string, number>;
  latencies: number[];
  inFlight: number | null;
}

interface ActionStats {
  samples: Samples;
  ok: number;
  aborted: number;
  errors: Record<string, number>;
  sum: number;
}

/**
 * Everything a run measures: per action (all its latencies, ok and errors by kind), and per
 * second (sessions started and dropped, requests finished, errors, p50/p99). Latencies count
 * every finished request, ok or not; aborted ones are only counted as aborted.
 */
export class Recorder {
  private readonly actions = new Map<string, ActionStats>();
  private readonly buckets: Bucket[] = [];
  readonly errors: Record<string, number> = {};
  requests = 0;
  ok = 0;
  aborted = 0;
  sessionsStarted = 0;
  dropped = 0;

  private bucket(atMs: number): Bucket {
    const second = Math.max(0, Math.floor(atMs / 1000));
    while (this.buckets.length <= second) this.buckets.push({ sessionsStarted: 0, dropped: 0, ok: 0, errors: {}, latencies: [], inFlight: null });
    return this.buckets[second]!;
  }

  private stats(action: string): ActionStats {
    let s = this.actions.get(action);
    if (!s) this.actions.set(action, (s = { samples: new Samples(), ok: 0, aborted: 0, errors: {}, sum: 0 }));
    return s;
  }

  record(r: RequestRecord): void {
    const s = this.stats(r.action);
    if (r.outcome === 'aborted') {
      s.aborted++;
      this.aborted++;
      return;
    }
    const b = this.bucket(r.atMs);
    this.requests++;
    s.samples.push(r.latencyMs);
    s.sum += r.latencyMs;
    b.latencies.push(r.latencyMs);
    if (r.outcome === 'ok') {
      s.ok++;
      b.ok++;
      this.ok++;
    } else {
      s.errors[r.outcome] = (s.errors[r.outcome] ?? 0) + 1;
      b.errors[r.outcome] = (b.errors[r.outcome] ?? 0) + 1;
      this.errors[r.outcome] = (this.errors[r.outcome] ?? 0) + 1;
    }
  }

  sessionStarted(atMs: number): void {
    this.sessionsStarted++;
    this.bucket(atMs).sessionsStarted++;
  }

  sessionDropped(atMs: number): void {
    this.dropped++;
    this.bucket(atMs).dropped++;
  }

  /** Notes the sessions in flight in the second of `atMs` (the last sample of a second wins). */
  sampleInFlight(atMs: number, inFlight: number): void {
    this.bucket(atMs).inFlight = inFlight;
  }

  /** The per-second rows from second 0 to the last with anything in it (or `untilMs`). */
  series(untilMs?: number): SecondStats[] {
    if (untilMs !== undefined && untilMs > 0) this.bucket(untilMs - 1);
    return this.buckets.map((b, second) => {
      const sorted = Float64Array.from(b.latencies).sort();
      const errors = Object.values(b.errors).reduce((a, n) => a + n, 0);
      return {
        second,
        sessionsStarted: b.sessionsStarted,
        dropped: b.dropped,
        requests: b.ok + errors,
        ok: b.ok,
        errors: { ...b.errors },
        p50Ms: finite(percentile(sorted, 0.5)),
        p99Ms: finite(percentile(sorted, 0.99)),
        inFlight: b.inFlight,
      };
    });
  }

  /** Every action seen, in `order` first, then the rest by name. */
  summary(order: readonly string[] = []): ActionSummary[] {
    const names = [...this.actions.keys()].sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
    return names.map((action) => {
      const s = this.actions.get(action)!;
      const errors = Object.values(s.errors).reduce((a, n) => a + n, 0);
      return {
        action,
        count: s.samples.count,
        ok: s.ok,
        errors,
        errorsByKind: { ...s.errors },
        aborted: s.aborted,
        p50Ms: finite(s.samples.quantile(0.5)),
        p90Ms: finite(s.samples.quantile(0.9)),
        p99Ms: finite(s.samples.quantile(0.99)),
        maxMs: finite(s.samples.max()),
        meanMs: s.samples.count ? finite(s.sum / s.samples.count) : null,
      };
    });
  }

  /** p50 and p99 per action so far, for the progress line. */
  live(order: readonly string[] = []): Array<{ action: string; count: number; p50Ms: number | null; p99Ms: number | null }> {
    return this.summary(order).map(({ action, count, p50Ms, p99Ms }) => ({ action, count, p50Ms, p99Ms }));
  }
}

function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}
