import type { SecondStats } from './stats.ts';

/*
 * The same look as bench/lib/plot.ts (size, font, palette, light grid), for a time series:
 * bench's line chart labels every point and every value, which suits a handful of rates but not
 * one point a second.
 */
const COLORS = ['#8d99ae', '#2a9d8f', '#e76f51', '#264653', '#e9c46a', '#9b2226', '#6a4c93', '#f4a261'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v: number) => Math.round(v * 10) / 10;

/** A round axis maximum at or above `v`, with its 4 steps. */
function niceMax(v: number): number {
  const raw = Math.max(v, 1e-9) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return 4 * magnitude * ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10);
}

const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : String(r1(v)));
const fmtMs = (v: number) => (v >= 1000 ? `${r1(v / 1000)} s` : `${fmt(v)} ms`);

interface Panel {
  top: number;
  height: number;
}

/**
 * A load run as a standalone SVG document, in three panels over the seconds of the run:
 * throughput (requests finished and sessions started per second, and the target rate), latency
 * (p50 and p99 of the requests finished in each second) and errors (per second, stacked by kind,
 * with dropped sessions).
 */
export function loadChart(opts: { title: string; note?: string; series: readonly SecondStats[]; targetRate: number }): string {
  const width = 760;
  const left = 70;
  const right = 30;
  const plotW = width - left - right;
  const panels: Record<'rate' | 'latency' | 'errors', Panel> = { rate: { top: 70, height: 130 }, latency: { top: 245, height: 130 }, errors: { top: 420, height: 90 } };
  const height = panels.errors.top + panels.errors.height + 70;
  const series = opts.series.length ? opts.series : [{ second: 0, sessionsStarted: 0, dropped: 0, requests: 0, ok: 0, errors: {}, p50Ms: null, p99Ms: null, inFlight: null }];
  const n = series.length;
  const x = (second: number) => left + (n === 1 ? plotW / 2 : (plotW * second) / (n - 1));
  const barW = Math.max(1, plotW / n - 1);
  const parts: string[] = [];
  // Drawn first, under everything.
  const back: string[] = [];
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`);

  const grid = (p: Panel, max: number, label: (v: number) => string, unit: string) => {
    for (let t = 0; t <= 4; t++) {
      const y = p.top + p.height - (p.height * t) / 4;
      parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label((max * t) / 4)}</text>`);
    }
    parts.push(`<text x="16" y="${p.top + p.height / 2}" font-size="12" transform="rotate(-90 16 ${p.top + p.height / 2})" text-anchor="middle">${esc(unit)}</text>`);
  };
  const legend = (p: Panel, items: Array<{ name: string; color: string; dashed?: boolean; bar?: boolean }>) => {
    let lx = left;
    for (const item of items) {
      const mark = item.bar
        ? `<rect x="${lx}" y="${p.top - 20}" width="12" height="10" fill="${item.color}"/>`
        : `<line x1="${lx}" x2="${lx + 18}" y1="${p.top - 15}" y2="${p.top - 15}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
      parts.push(`${mark}<text x="${lx + 24}" y="${p.top - 11}" font-size="12">${esc(item.name)}</text>`);
      lx += 34 + item.name.length * 7;
    }
  };
  const line = (values: ReadonlyArray<number | null>, y: (v: number) => number, color: string, dashed = false) => {
    // A gap (null) breaks the line; a lone point is a dot.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''} points="${run.join(' ')}"/>`);
      else if (run.length === 1) {
        const [cx, cy] = run[0]!.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
      }
      run = [];
    };
    values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) flush();
      else run.push(`${r1(x(i))},${r1(y(v))}`);
    });
    flush();
  };

  // Throughput.
  const rate = panels.rate;
  const rateMax = niceMax(Math.max(...series.map((s) => Math.max(s.requests, s.sessionsStarted)), opts.targetRate) * 1.05);
  const yRate = (v: number) => rate.top + rate.height - (rate.height * v) / rateMax;
  grid(rate, rateMax, fmt, 'per second');
  legend(rate, [
    { name: 'requests finished', color: COLORS[1]! },
    { name: 'sessions started', color: COLORS[3]! },
    { name: `target ${fmt(opts.targetRate)} sessions/s`, color: COLORS[0]!, dashed: true },
  ]);
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${r1(yRate(opts.targetRate))}" y2="${r1(yRate(opts.targetRate))}" stroke="${COLORS[0]}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
  line(series.map((s) => s.requests), yRate, COLORS[1]!);
  line(series.map((s) => s.sessionsStarted), yRate, COLORS[3]!);

  // Latency: logarithmic when p99 and p50 are far apart.
  const lat = panels.latency;
  const latValues = series.flatMap((s) => [s.p50Ms, s.p99Ms]).filter((v): v is number => v !== null && v > 0);
  const lo = latValues.length ? Math.min(...latValues) : 1;
  const hi = latValues.length ? Math.max(...latValues) : 1;
  const log = hi / lo > 30;
  const logMin = 10 ** Math.floor(Math.log10(lo));
  const logMax = 10 ** Math.ceil(Math.log10(Math.max(hi, logMin * 10)));
  const latMax = log ? logMax : niceMax(hi * 1.05);
  const yLat = (v: number) => (log ? lat.top + lat.height - (lat.height * (Math.log10(Math.max(v, logMin)) - Math.log10(logMin))) / (Math.log10(logMax) - Math.log10(logMin)) : lat.top + lat.height - (lat.height * v) / latMax);
  if (log) {
    for (let v = logMin; v <= logMax * 1.001; v *= 10) parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${r1(yLat(v))}" y2="${r1(yLat(v))}" stroke="#ddd"/><text x="${left - 6}" y="${r1(yLat(v)) + 4}" text-anchor="end" font-size="11">${fmtMs(v)}</text>`);
    parts.push(`<text x="16" y="${lat.top + lat.height / 2}" font-size="12" transform="rotate(-90 16 ${lat.top + lat.height / 2})" text-anchor="middle">latency (log)</text>`);
  } else grid(lat, latMax, fmtMs, 'latency');
  legend(lat, [
    { name: 'p50', color: COLORS[1]! },
    { name: 'p99', color: COLORS[2]! },
  ]);
  line(series.map((s) => s.p50Ms), yLat, COLORS[1]!);
  line(series.map((s) => s.p99Ms), yLat, COLORS[2]!);

  // Errors, stacked by kind, and dropped sessions on top.
  const err = panels.errors;
  const kinds = [...new Set(series.flatMap((s) => Object.keys(s.errors)))].sort();
  const colorOf = (i: number) => COLORS[(i + 2) % COLORS.length]!;
  // At least 4, so that the 4 steps are whole numbers.
  const errMax = niceMax(Math.max(...series.map((s) => Object.values(s.errors).reduce((a, b) => a + b, 0) + s.dropped), 4));
  const yErr = (v: number) => err.top + err.height - (err.height * v) / errMax;
  grid(err, errMax, fmt, 'errors/s');
  legend(err, [...kinds.map((k, i) => ({ name: k, color: colorOf(i), bar: true })), { name: 'dropped sessions', color: COLORS[0]!, bar: true }, ...(kinds.length ? [] : [{ name: '(no errors)', color: '#ffffff', bar: true }])]);
  series.forEach((s, i) => {
    let base = 0;
    const stack = [...kinds.map((k, ki) => [s.errors[k] ?? 0, colorOf(ki)] as const), [s.dropped, COLORS[0]!] as const];
    for (const [v, color] of stack) {
      if (!v) continue;
      const y1 = yErr(base + v);
      parts.push(`<rect x="${r1(x(i) - barW / 2)}" y="${r1(y1)}" width="${r1(barW)}" height="${r1(yErr(base) - y1)}" fill="${color}"/>`);
      base += v;
    }
  });

  // The time axis, under the last panel.
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
  const step = steps.find((s) => n / s <= 10) ?? Math.ceil(n / 10);
  const axisY = err.top + err.height;
  for (let s = 0; s < n; s += step) {
    back.push(`<line x1="${r1(x(s))}" x2="${r1(x(s))}" y1="${rate.top}" y2="${axisY}" stroke="#eee"/>`);
    parts.push(`<text x="${r1(x(s))}" y="${axisY + 18}" text-anchor="middle" font-size="12">${s >= 120 && s % 60 === 0 ? `${s / 60} min` : `${s} s`}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${axisY + 38}" text-anchor="middle" font-size="12">time since the start of the run</text>`);
  if (opts.note) parts.push(`<text x="${width / 2}" y="${height - 10}" text-anchor="middle" font-size="11" fill="#555">${esc(opts.note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${back.join('')}${parts.join('')}</svg>\n`;
}
