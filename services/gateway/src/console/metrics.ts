/**
 * Pure functions behind the console's live charts: reading the Prometheus text format, reducing
 * a service's request-duration histogram to a few counters, and turning the change between two
 * scrapes into a rate, an error share and a p99. No I/O here; the sampler does that.
 */

/** One sample line of the Prometheus text format: a metric name, its labels and its value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The histogram every service keeps of the requests it serves (see packages/kit/src/metrics.ts). */
export const REQUEST_HISTOGRAM = 'http_server_request_duration_seconds';

/** Routes that probes and scrapers call: counting them would show traffic on an idle platform. */
const PROBE_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Parses the Prometheus text exposition format (version 0.0.4). Comments and blank lines are
 * skipped, label values are unescaped (`\\`, `\"`, `\n`), `+Inf`, `-Inf` and `NaN` are read as
 * numbers, and a trailing timestamp is ignored. A line that cannot be read is skipped rather
 * than failing the whole scrape. With `prefix`, only metrics whose name starts with it are kept,
 * which spares reading the labels of every other line.
 */
export function parsePrometheus(text: string, prefix = ''): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || !line.startsWith(prefix)) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Reads one sample line; undefined when it is malformed. */
function parseLine(line: string): PromSample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let i = name.length;
  const blank = () => {
    while (line[i] === ' ' || line[i] === '\t') i += 1;
  };
  const labels: Record<string, string> = {};
  blank();
  if (line[i] === '{') {
    i += 1;
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t' || line[i] === ',') i += 1;
      if (line[i] === '}') {
        i += 1;
        break;
      }
      const labelName = LABEL_NAME.exec(line.slice(i))?.[0];
      if (!labelName) return undefined;
      i += labelName.length;
      blank();
      if (line[i] !== '=') return undefined;
      i += 1;
      blank();
      if (line[i] !== '"') return undefined;
      i += 1;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          i += 2;
        } else {
          value += c;
          i += 1;
        }
      }
      i += 1;
      labels[labelName] = value;
    }
  }
  const [valueText] = line.slice(i).trim().split(/\s+/);
  const value = parseValue(valueText);
  return value === undefined ? undefined : { name, labels, value };
}

/** A sample value: a float, or one of the special values the format allows. */
function parseValue(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** Cumulative counts of a histogram: `le` (upper bound, in seconds) → observations at or below it, ascending by bound. */
export type Buckets = Array<{ le: number; count: number }>;

/** What one scrape says about the requests an instance has served since it started. */
export interface RequestCounters {
  /** Requests served. */
  count: number;
  /** Of those, the ones answered with a 5xx. */
  errors: number;
  /** The duration histogram over every route and status, summed. */
  buckets: Buckets;
}

/**
 * Reduces an instance's scrape to its request counters: the request-duration histogram summed
 * over methods, routes and statuses. Probe and scrape routes (/health/*, /metrics) are left out,
 * so watching a platform does not make it look busy.
 */
export function requestCounters(samples: readonly PromSample[]): RequestCounters {
  const byLe = new Map<number, number>();
  let count = 0;
  let errors = 0;
  for (const { name, labels, value } of samples) {
    if (PROBE_ROUTES.has(labels.route ?? '')) continue;
    if (name === `${REQUEST_HISTOGRAM}_count`) {
      count += value;
      if ((labels.status_code ?? '').startsWith('5')) errors += value;
    } else if (name === `${REQUEST_HISTOGRAM}_bucket`) {
      const le = parseValue(labels.le);
      if (le === undefined || Number.isNaN(le)) continue;
      byLe.set(le, (byLe.get(le) ?? 0) + value);
    }
  }
  const buckets = [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le);
  return { count, errors, buckets };
}

/**
 * What happened between two scrapes of one instance. A counter that went down means the
 * instance restarted between them, so its current value is all that happened since (as
 * Prometheus' `increase` treats a reset).
 */
export function counterDelta(before: RequestCounters, after: RequestCounters): RequestCounters {
  const reset = after.count < before.count || after.errors < before.errors;
  if (reset) return after;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  const buckets = after.buckets.map(({ le, count }) => ({ le, count: Math.max(0, count - (earlier.get(le) ?? 0)) }));
  return { count: after.count - before.count, errors: after.errors - before.errors, buckets };
}

/** Adds the counters of several instances of one service. */
export function sumCounters(parts: readonly RequestCounters[]): RequestCounters {
  const byLe = new Map<number, number>();
  let count = 0;
  let errors = 0;
  for (const part of parts) {
    count += part.count;
    errors += part.errors;
    for (const { le, count: c } of part.buckets) byLe.set(le, (byLe.get(le) ?? 0) + c);
  }
  return { count, errors, buckets: [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le) };
}

/**
 * The `q` quantile of a histogram, in the histogram's unit, the way Prometheus'
 * `histogram_quantile` estimates it: find the bucket holding the rank, then interpolate linearly
 * inside it (the first bucket starts at 0). A rank in the `+Inf` bucket answers the highest
 * finite bound. Null when the histogram holds no observation.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  // Counts are cumulative: the last bucket (+Inf, in a well-formed histogram) holds them all.
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lowerLe;
      if (count === lowerCount) return le; // an empty bucket: nothing to interpolate
      return lowerLe + ((le - lowerLe) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** One point of a service's live series. */
export interface SeriesPoint {
  /** When the scrape ended, in ms since the epoch. */
  t: number;
  /** Requests served per second; null when no instance could be scraped. */
  rps: number | null;
  /** Share of those answered with a 5xx, from 0 to 1; null without a request. */
  errorRate: number | null;
  /** The 99th percentile of their duration, in ms; null without a request. */
  p99Ms: number | null;
}

/** What one instance served between two of its scrapes, and over how long. */
export interface InstanceChange {
  delta: RequestCounters;
  seconds: number;
}

/**
 * A service's point from the changes seen on its instances, rounded for the wire: the rate is
 * the sum of each instance's own rate, and the error share and p99 come from their summed
 * counters. No change at all (no instance answered) is a point without values: a gap.
 */
export function servicePoint(t: number, parts: readonly InstanceChange[]): SeriesPoint {
  if (parts.length === 0) return { t, rps: null, errorRate: null, p99Ms: null };
  const rps = parts.reduce((sum, p) => sum + (p.seconds > 0 ? p.delta.count / p.seconds : 0), 0);
  const total = sumCounters(parts.map((p) => p.delta));
  const p99 = total.count > 0 ? histogramQuantile(0.99, total.buckets) : null;
  return {
    t,
    rps: round(rps, 3),
    errorRate: total.count > 0 ? round(total.errors / total.count, 4) : null,
    p99Ms: p99 === null ? null : round(p99 * 1000, 2),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A fixed-size buffer that keeps the newest `capacity` items, oldest first when read. */
export class Ring<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('a ring needs a capacity of at least 1');
    this.items = new Array<T | undefined>(capacity);
  }

  /** Adds an item, dropping the oldest once full. */
  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const start = (this.next - this.size + this.capacity) % this.capacity;
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }

  get length(): number {
    return this.size;
  }
}
