import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { LineChart } from './console-chart.tsx';
import { ErrorBox, Loading } from './status.tsx';
import { StaleNote } from './console-ui.tsx';

/** One sample of a service's traffic, as GET /ops/metrics answers it. */
export interface MetricsPoint {
  t: number;
  rps: number | null;
  errorRate: number | null;
  p99Ms: number | null;
}

/** GET /ops/metrics: each service's recent samples, oldest first. */
interface MetricsAnswer {
  intervalMs: number;
  windowMs: number;
  services: Record<string, MetricsPoint[]>;
}

/** The live series as the page holds them, and how fetching them goes. */
export interface LiveMetrics {
  services: Record<string, MetricsPoint[]>;
  intervalMs: number;
  windowMs: number;
  /** The newest sample's time: the right edge of the charts (the gateway's clock, not the browser's). */
  now: number;
  loading: boolean;
  error: ApiError | undefined;
}

/**
 * Follows GET /ops/metrics every interval it names (2 s by default), asking only for the points
 * newer than those it has and keeping the window it names. It pauses while the tab is hidden,
 * so a console left open in the background lets the gateway stop scraping.
 */
export function useLiveMetrics(): LiveMetrics {
  const [state, setState] = useState<LiveMetrics>({ services: {}, intervalMs: 2_000, windowMs: 300_000, now: 0, loading: true, error: undefined });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let latest = 0;
    let intervalMs = 2_000;

    const poll = async () => {
      timer = undefined;
      if (document.hidden) return; // resumed by visibilitychange
      try {
        const answer = await api<MetricsAnswer>(`/ops/metrics${latest ? `?since=${latest}` : ''}`, { signal: controller.signal });
        intervalMs = answer.intervalMs;
        for (const points of Object.values(answer.services)) for (const p of points) latest = Math.max(latest, p.t);
        const newest = latest;
        setState((prev) => {
          const cutoff = newest - answer.windowMs;
          const services: Record<string, MetricsPoint[]> = {};
          for (const name of new Set([...Object.keys(answer.services), ...Object.keys(prev.services)])) {
            const merged = [...(prev.services[name] ?? []), ...(answer.services[name] ?? [])];
            services[name] = merged.filter((p) => p.t > cutoff);
          }
          return { services, intervalMs: answer.intervalMs, windowMs: answer.windowMs, now: newest, loading: false, error: undefined };
        });
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        setState((prev) => ({ ...prev, loading: false, error: err as ApiError }));
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void poll(), intervalMs);
    };

    const onVisibility = () => {
      if (!document.hidden && timer === undefined) void poll();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void poll();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);

  return state;
}

/** The shortest time the charts span. */
const MIN_SPAN_MS = 60_000;

const number = (v: number, digits: number) => v.toLocaleString('en-US', { maximumFractionDigits: digits });
const rate = { format: (v: number) => `${number(v, v < 10 ? 2 : 1)} req/s`, tick: (v: number) => number(v, 2) };
const errors = { format: (v: number) => `${number(v * 100, 2)}% errors`, tick: (v: number) => `${number(v * 100, 1)}%` };
const latency = {
  format: (v: number) => (v >= 1000 ? `${number(v / 1000, 2)} s p99` : `${number(v, 1)} ms p99`),
  tick: (v: number) => (v >= 1000 ? `${number(v / 1000, 1)}s` : `${number(v, 0)}ms`),
};

/** Whether a service served nothing over the whole window (and could be scraped each time). */
function idle(points: readonly MetricsPoint[]): boolean {
  return points.every((p) => p.rps === 0);
}

/**
 * Every service's live charts: request rate, error share and p99 latency, side by side, updated
 * as new samples arrive. By default only the services with traffic (or without metrics) get
 * charts, and the idle ones are named in a line; a toggle shows them all. The first answer
 * starts the gateway's scrapes, so the charts fill from the right over the first seconds.
 */
export function LiveCharts() {
  const live = useLiveMetrics();
  const [showAll, setShowAll] = useState(false);
  const names = Object.keys(live.services);
  if (live.loading) return <Loading what="Starting the live charts" />;
  if (live.error && names.length === 0) return <ErrorBox error={live.error} />;
  // The charts span the history there is (at least a minute, at most the window), so that
  // they are readable from the first seconds rather than a sliver at the right edge.
  const oldest = Math.min(...names.map((n) => live.services[n]?.[0]?.t ?? live.now));
  const from = live.now - Math.min(live.windowMs, Math.max(MIN_SPAN_MS, live.now - oldest));
  const quiet = names.filter((n) => idle(live.services[n] ?? []));
  const shown = showAll ? names : names.filter((n) => !quiet.includes(n));
  return (
    <>
      <StaleNote error={live.error} />
      <label className="console-check">
        <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> Show idle services too
      </label>
      {live.now === 0 && <p className="muted" role="status">Collecting the first samples (one every {live.intervalMs / 1000} s)…</p>}
      {!showAll && live.now !== 0 && quiet.length > 0 && (
        <p className="muted">No requests in this window: {quiet.join(', ')}.</p>
      )}
      <div className="console-charts">
        {shown.map((name) => <ServiceCharts key={name} name={name} points={live.services[name] ?? []} from={from} to={live.now} />)}
      </div>
    </>
  );
}

/** One service's three charts. */
function ServiceCharts({ name, points, from, to }: { name: string; points: readonly MetricsPoint[]; from: number; to: number }) {
  const series = (pick: (p: MetricsPoint) => number | null) => points.map((p) => ({ t: p.t, v: pick(p) }));
  const down = points.length > 0 && points.at(-1)!.rps === null;
  const range = { subject: name, from, to };
  return (
    <section className="card console-service-charts" aria-labelledby={`charts-${name}`} data-testid={`charts-${name}`}>
      <h3 id={`charts-${name}`}>
        {name}
        {down && <span className="badge console-badge bad">no metrics</span>}
      </h3>
      <LineChart title="Requests per second" points={series((p) => p.rps)} floor={1} empty={down ? 'no data' : 'waiting'} tone="rate" {...range} {...rate} />
      <LineChart title="Error rate (5xx)" points={series((p) => p.errorRate)} floor={0.01} empty="no requests" tone="errors" {...range} {...errors} />
      <LineChart title="Latency, 99th percentile" points={series((p) => p.p99Ms)} floor={10} empty="no requests" tone="latency" {...range} {...latency} />
    </section>
  );
}
