import type { Logger } from '@emporium/kit';
import type { Instance } from './instances.ts';
import { counterDelta, parsePrometheus, REQUEST_HISTOGRAM, requestCounters, Ring, servicePoint, type InstanceChange, type RequestCounters, type SeriesPoint } from './metrics.ts';

/** How the sampler paces itself. */
export interface SamplerOptions {
  /** Time between two scrapes of every instance. */
  intervalMs: number;
  /** How much of each series is kept. */
  windowMs: number;
  /** Scraping stops once nobody has asked for the series for this long. */
  idleMs: number;
  log?: Pick<Logger, 'debug'>;
  /** The clock; tests pass their own. */
  now?: () => number;
}

/** What was last read from one instance, to compute the next change from. */
interface Previous {
  at: number;
  counters: RequestCounters;
}

/**
 * Keeps a short live series per service (request rate, error share, p99) for the console's
 * charts. It scrapes every instance's /metrics only while someone watches: `watch()` starts it
 * (with a first scrape at once, the baseline) and each round stops it once `idleMs` passed
 * without a `watch()`, forgetting what it had, so an idle platform is never scraped.
 */
export class MetricsSampler {
  private timer: NodeJS.Timeout | undefined;
  private lastWatched = 0;
  private round: Promise<void> | undefined;
  /** Bumped by stop(), so that a round under way when it stopped adds nothing. */
  private generation = 0;
  private readonly previous = new Map<Instance, Previous>();
  private readonly series = new Map<string, Ring<SeriesPoint>>();
  private readonly now: () => number;
  private readonly capacity: number;

  constructor(
    private readonly instances: readonly Instance[],
    private readonly opts: SamplerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.capacity = Math.max(1, Math.ceil(opts.windowMs / opts.intervalMs));
  }

  /** Whether scrapes are running now. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Notes that someone watches the series; starts scraping if it was not running. */
  watch(): void {
    this.lastWatched = this.now();
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops scraping and forgets the series and baselines. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.generation += 1;
    this.previous.clear();
    this.series.clear();
  }

  /** Each service's points, oldest first; with `since`, only those after it. Every known service is listed, even without points yet. */
  snapshot(since = 0): Record<string, SeriesPoint[]> {
    const out: Record<string, SeriesPoint[]> = {};
    for (const instance of this.instances) out[instance.service] ??= [];
    for (const [service, ring] of this.series) out[service] = ring.toArray().filter((p) => p.t > since);
    return out;
  }

  /** One round, unless one is still under way (a slow instance must not pile rounds up). */
  private tick(): Promise<void> {
    if (this.now() - this.lastWatched > this.opts.idleMs) {
      this.stop();
      return Promise.resolve();
    }
    this.round ??= this.sample().finally(() => (this.round = undefined));
    return this.round;
  }

  /**
   * Scrapes every instance in parallel and adds a point per service: the change since the
   * previous scrape of each instance, summed over the instances. A first scrape only sets the
   * baseline; a service of which no instance answered gets a point with no values (a gap).
   */
  async sample(): Promise<void> {
    const generation = this.generation;
    const scraped = await Promise.all(this.instances.map(async (instance) => ({ instance, counters: await this.scrape(instance), at: this.now() })));
    // Stopped while the scrapes were out: what they brought belongs to nobody.
    if (generation !== this.generation) return;
    const changes = new Map<string, InstanceChange[]>();
    const answered = new Set<string>();
    for (const { instance, counters, at } of scraped) {
      if (!counters) continue;
      answered.add(instance.service);
      const before = this.previous.get(instance);
      this.previous.set(instance, { at, counters });
      if (!before || at <= before.at) continue;
      const list = changes.get(instance.service) ?? [];
      list.push({ delta: counterDelta(before.counters, counters), seconds: (at - before.at) / 1000 });
      changes.set(instance.service, list);
    }
    const t = this.now();
    for (const service of new Set(this.instances.map((i) => i.service))) {
      const parts = changes.get(service);
      if (!parts && answered.has(service)) continue; // a first scrape: the baseline, nothing to show yet
      this.ring(service).push(servicePoint(t, parts ?? []));
    }
  }

  /** An instance's request counters now; undefined when it did not answer. */
  private async scrape(instance: Instance): Promise<RequestCounters | undefined> {
    try {
      const res = await instance.fetch('/metrics');
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
      return requestCounters(parsePrometheus(res.text, REQUEST_HISTOGRAM));
    } catch (err) {
      this.opts.log?.debug({ service: instance.service, url: instance.url, err: (err as Error).message }, 'could not scrape an instance');
      return undefined;
    }
  }

  private ring(service: string): Ring<SeriesPoint> {
    let ring = this.series.get(service);
    if (!ring) this.series.set(service, (ring = new Ring<SeriesPoint>(this.capacity)));
    return ring;
  }
}
