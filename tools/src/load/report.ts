import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadChart } from './chart.ts';
import type { CardName, ResolvedOptions } from './options.ts';
import type { PlacedOrder } from './shop.ts';
import type { ActionSummary, SecondStats } from './stats.ts';

/** The rows of the tables, in a session's order. */
export const ACTION_ORDER = ['register', 'login', 'browse', 'product', 'search', 'cart', 'checkout', 'cancel', 'follow'];

/** What `onProgress` is given, about once a second. */
export interface LoadSnapshot {
  phase: 'running' | 'grace' | 'settle';
  elapsedSeconds: number;
  targetRate: number;
  sessionsStarted: number;
  /** Sessions started per second, since the start. */
  sessionsPerSecond: number;
  dropped: number;
  inFlight: number;
  /** Requests finished (aborted ones excluded). */
  requests: number;
  requestsPerSecond: number;
  ok: number;
  errors: Record<string, number>;
  actions: Array<{ action: string; count: number; p50Ms: number | null; p99Ms: number | null }>;
  ordersPlaced: number;
}

/** Everything a run measured; also what load.json holds. */
export interface LoadReport {
  tool: 'emporium-load';
  version: 1;
  /** The options, resolved (the seed included); the admin's password is left out. */
  options: Omit<ResolvedOptions, 'admin'> & { admin: string | null };
  startedAt: string;
  finishedAt: string;
  stopReason: 'duration' | 'max-requests' | 'aborted';
  /** From the first possible arrival to the stop, in seconds. */
  elapsedSeconds: number;
  catalog: { products: number; inStock: number };
  shoppers: { pool: number; registered: number; reused: number };
  sessions: {
    started: number;
    /** Arrivals refused because --max-sessions were in flight. */
    dropped: number;
    completed: number;
    /** Ended before their last action: cut off after the grace, or by --max-requests. */
    cutShort: number;
    /** Ended by an exception in the generator itself (a bug: see the log). */
    failed: number;
    perSecond: number;
    /** How late sessions started after their arrival time: the generator's own lag. */
    startLagMs: { p50: number | null; p99: number | null; max: number | null };
  };
  /** Requests finished (aborted ones apart); perSecond is over activeSeconds, from the start until the last session ended. */
  requests: { total: number; ok: number; errors: Record<string, number>; aborted: number; perSecond: number; activeSeconds: number };
  /** Per action: the load itself. */
  actions: ActionSummary[];
  /** Signing the pool's shoppers in (or registering them), before the run; not in `requests` or `series`. */
  setup: ActionSummary[];
  series: SecondStats[];
  orders: {
    placed: number;
    /** Final status (or the last seen, when it did not settle within --settle) → orders. */
    byStatus: Record<string, number>;
    byCard: Record<CardName, Record<string, number>>;
    list: PlacedOrder[];
  };
  files: { json: string | null; svg: string | null };
}

/** `1.2 ms`, `85 ms`, `1.25 s`; `-` for none. */
export function formatMs(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (v < 10) return `${v.toFixed(1)} ms`;
  if (v < 1000) return `${Math.round(v)} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}

const short = (kind: string) => (kind.startsWith('http ') ? kind.slice(5) : kind === 'network' ? 'net' : kind);

/** Errors as `429×3 net×1`, or `none`. */
export function formatErrors(errors: Record<string, number>, long = false): string {
  const entries = Object.entries(errors).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => (long ? `${k} ×${n}` : `${short(k)}×${n}`)).join(long ? ', ' : ' ') : 'none';
}

/** The live progress line. */
export function progressText(s: LoadSnapshot): string {
  const actions = s.actions.filter((a) => a.count > 0).map((a) => `${a.action} ${fmtShort(a.p50Ms)}/${fmtShort(a.p99Ms)}`);
  return [
    `${s.phase === 'running' ? '' : `${s.phase} `}${Math.floor(s.elapsedSeconds)}s`,
    `sessions ${s.sessionsPerSecond.toFixed(1)}/s of ${s.targetRate}/s, ${s.inFlight} in flight, ${s.dropped} dropped`,
    `${s.requests} req ${s.requestsPerSecond.toFixed(1)}/s`,
    `errors ${formatErrors(s.errors)}`,
    `orders ${s.ordersPlaced}`,
    ...(actions.length ? [`p50/p99 ${actions.join(' ')}`] : []),
  ].join(' | ');
}

function fmtShort(v: number | null): string {
  if (v === null) return '-';
  return v < 1000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(1)}s`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

const STATUS_ORDER = ['CONFIRMED', 'CANCELLED', 'SHIPPED', 'DELIVERED', 'PENDING', 'UNKNOWN'];
const byStatusOrder = (a: string, b: string) => (STATUS_ORDER.indexOf(a) + 1 || 99) - (STATUS_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b);

function statusCounts(counts: Record<string, number>): string {
  const confirmed = counts.CONFIRMED ?? 0;
  const cancelled = counts.CANCELLED ?? 0;
  const other = Object.entries(counts).filter(([s]) => s !== 'CONFIRMED' && s !== 'CANCELLED').sort(([a], [b]) => byStatusOrder(a, b));
  const otherTotal = other.reduce((n, [, c]) => n + c, 0);
  return `CONFIRMED ${confirmed}, CANCELLED ${cancelled}, other ${otherTotal}${other.length ? ` (${other.map(([s, c]) => `${s} ${c}`).join(', ')})` : ''}`;
}

const STOP_REASONS: Record<LoadReport['stopReason'], string> = { duration: 'the duration', 'max-requests': 'max requests reached', aborted: 'interrupted' };

/** The final table and summary, as printed on stdout. */
export function finalTable(r: LoadReport): string {
  const row = (a: ActionSummary, label = a.action) => [label, String(a.count), String(a.ok), String(a.errors), formatMs(a.p50Ms), formatMs(a.p90Ms), formatMs(a.p99Ms), formatMs(a.maxMs)];
  const total: ActionSummary = {
    action: 'all',
    count: r.requests.total,
    ok: r.requests.ok,
    errors: r.requests.total - r.requests.ok,
    errorsByKind: r.requests.errors,
    aborted: r.requests.aborted,
    p50Ms: null,
    p90Ms: null,
    p99Ms: null,
    maxMs: r.actions.reduce<number | null>((m, a) => (a.maxMs === null ? m : Math.max(m ?? 0, a.maxMs)), null),
    meanMs: null,
  };
  const rows = [...r.actions.map((a) => row(a)), row(total), ...r.setup.map((a) => row(a, `${a.action} (setup)`))];
  const lines = [table(['action', 'count', 'ok', 'errors', 'p50', 'p90', 'p99', 'max'], rows), ''];
  const s = r.sessions;
  lines.push(
    `Sessions: ${s.started} started (${s.perSecond.toFixed(2)}/s, target ${r.options.rate}/s), ${s.dropped} dropped, ${s.completed} completed, ${s.cutShort} cut short${s.failed ? `, ${s.failed} failed in the generator` : ''}.`,
    `Requests: ${r.requests.total} in ${r.requests.activeSeconds.toFixed(1)} s (${r.requests.perSecond.toFixed(2)}/s); arrivals stopped after ${r.elapsedSeconds.toFixed(1)} s (${STOP_REASONS[r.stopReason]})${r.requests.aborted ? `; ${r.requests.aborted} request${r.requests.aborted === 1 ? '' : 's'} cut off after the grace` : ''}.`,
    `Errors: ${formatErrors(r.requests.errors, true)}.`,
    `Shoppers: ${r.shoppers.pool} in the pool (${r.shoppers.registered} registered now, ${r.shoppers.reused} signed in again).`,
  );
  if (s.startLagMs.p99 !== null && s.startLagMs.p99 > 100) lines.push(`Warning: sessions started up to ${formatMs(s.startLagMs.max)} late (p99 ${formatMs(s.startLagMs.p99)}): the generator itself was short of CPU.`);
  lines.push(`Orders placed: ${r.orders.placed}${r.orders.placed ? ` — ${statusCounts(r.orders.byStatus)}` : ''}.`);
  const unread = r.orders.list.filter((o) => o.checkError);
  if (unread.length) {
    const kinds: Record<string, number> = {};
    for (const o of unread) kinds[o.checkError!] = (kinds[o.checkError!] ?? 0) + 1;
    lines.push(`  ${unread.length} could not be read at the end (${formatErrors(kinds, true)}): their status is the last one seen.`);
  }
  const cards = Object.entries(r.orders.byCard).filter(([, c]) => Object.keys(c).length);
  if (cards.length) {
    lines.push(table(['  card', 'orders', 'final status'], cards.map(([card, c]) => [`  ${card}`, String(Object.values(c).reduce((a, b) => a + b, 0)), Object.entries(c).sort(([a], [b]) => byStatusOrder(a, b)).map(([st, n]) => `${st} ${n}`).join(', ')])));
  }
  return lines.join('\n');
}

/** Writes `<out>/load.json` and `<out>/load.svg`; returns their paths. */
export async function writeReport(r: LoadReport, out: string): Promise<{ json: string; svg: string }> {
  await mkdir(out, { recursive: true });
  const json = join(out, 'load.json');
  const svg = join(out, 'load.svg');
  const files = { json, svg };
  await writeFile(json, `${JSON.stringify({ ...r, files }, null, 2)}\n`);
  const o = r.options;
  await writeFile(svg, loadChart({
    title: `Load on ${o.url}: ${o.rate} sessions/s, ${r.elapsedSeconds.toFixed(0)} s, seed ${o.seed}`,
    note: `${r.requests.total} requests, errors: ${formatErrors(r.requests.errors, true)}; ${r.sessions.dropped} sessions dropped; ${r.orders.placed} orders (${statusCounts(r.orders.byStatus)}) · ${r.startedAt}`,
    series: r.series,
    targetRate: o.rate,
  }));
  return files;
}
