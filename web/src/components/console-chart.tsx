import { useId } from 'react';

/** One value of a series at a time (ms since the epoch); null is a gap. */
export interface ChartPoint {
  t: number;
  v: number | null;
}

/** What a line chart shows and how its values read. */
export interface LineChartProps {
  /** What is measured, e.g. "Requests per second". */
  title: string;
  /** Whose values they are, for the accessible description. */
  subject: string;
  points: readonly ChartPoint[];
  /** The time range shown, in ms since the epoch; the newest time is at the right edge. */
  from: number;
  to: number;
  /** A value as people read it, with its unit: "12.5 req/s". */
  format: (v: number) => string;
  /** A value on the vertical axis, short: "12", "5%", "250ms". */
  tick: (v: number) => string;
  /** The smallest top of the vertical axis, so that a flat, low line is not blown up. */
  floor: number;
  /** What the current value says when the newest point has none, e.g. "no requests". */
  empty: string;
  /** The line's colour, from the console's palette. */
  tone?: 'rate' | 'errors' | 'latency';
}

const W = 300;
const H = 120;
const PAD = { left: 40, right: 8, top: 8, bottom: 20 };

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above `v`. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  const m = v / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** A span of time in a few characters: "45 s", "2.5 min". */
function duration(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 6_000) / 10} min`;
}

/** Splits a series at its gaps into runs of points that have values. */
function runs(points: readonly ChartPoint[]): Array<Array<{ t: number; v: number }>> {
  const out: Array<Array<{ t: number; v: number }>> = [];
  let current: Array<{ t: number; v: number }> = [];
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) {
      if (current.length) out.push(current);
      current = [];
    } else current.push({ t: p.t, v: p.v });
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * A small line chart drawn as inline SVG: time runs left to right over [from, to], values from
 * zero up to a round top. Gaps (null values) break the line. The chart is an image with a text
 * description (current and peak values), and the current value is also written out beside it.
 */
export function LineChart({ title, subject, points, from, to, format, tick, floor, empty, tone = 'rate' }: LineChartProps) {
  const titleId = useId();
  const shown = points.filter((p) => p.t >= from && p.t <= to);
  const values = shown.flatMap((p) => (p.v === null ? [] : [p.v]));
  const peak = values.length ? Math.max(...values) : 0;
  const top = niceCeil(Math.max(floor, peak));
  const last = shown.at(-1);
  const current = last && last.v !== null ? format(last.v) : empty;

  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (Math.min(v, top) / top) * (H - PAD.top - PAD.bottom);
  const description = values.length
    ? `${title} for ${subject} over the last ${duration(span)}: now ${current}, peak ${format(peak)}.`
    : `${title} for ${subject}: no data yet.`;

  return (
    <figure className={`console-chart ${tone}`}>
      <figcaption>
        <span className="console-chart-title">{title}</span>
        <span className="console-chart-now">{current}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={titleId} focusable="false">
        <title id={titleId}>{description}</title>
        {/* Horizontal grid with the vertical axis's labels: zero, half and the top. */}
        {[0, top / 2, top].map((v) => (
          <g key={v} className="console-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 4} y={y(v)} dy="0.35em" textAnchor="end">{tick(v)}</text>
          </g>
        ))}
        {/* The time axis: the window's start, its middle, and now. */}
        <g className="console-axis">
          <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
          <text x={PAD.left} y={H - 5} textAnchor="start">−{duration(span)}</text>
          <text x={(PAD.left + W - PAD.right) / 2} y={H - 5} textAnchor="middle">−{duration(span / 2)}</text>
          <text x={W - PAD.right} y={H - 5} textAnchor="end">now</text>
        </g>
        {runs(shown).map((run) => {
          const line = run.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
          const area = `${line} L${x(run.at(-1)!.t).toFixed(1)},${y(0)} L${x(run[0]!.t).toFixed(1)},${y(0)} Z`;
          return (
            <g key={run[0]!.t} className="console-series">
              <path className="console-area" d={area} />
              <path className="console-line" d={line} />
              {run.length === 1 && <circle cx={x(run[0]!.t)} cy={y(run[0]!.v)} r="2" />}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
