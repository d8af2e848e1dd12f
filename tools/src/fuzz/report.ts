import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetterFinding, Failure, FuzzReport, Reproducer } from './fuzz.ts';

/** Failures that look alike (same kind, status and cause), with how many and the first of them. */
export interface FailureGroup<K extends string = string> {
  kind: K;
  op: string;
  detail: string;
  count: number;
  first: Reproducer;
}

/** A finding's cause without the parts that differ from one request to the next (ids, numbers, quoted values). */
function cause(detail: string): string {
  return detail
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/fz-\d+-\d+\S*/g, '<correlation>')
    .replace(/"[^"]{0,200}"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 160);
}

/** Groups failures by kind, status and cause (whatever the operation), most frequent first. */
export function groupFailures<K extends string>(failures: ReadonlyArray<Failure<K>>): Array<FailureGroup<K>> {
  const groups = new Map<string, FailureGroup<K>>();
  for (const f of failures) {
    const key = `${f.kind}|${f.request.status ?? '-'}|${f.request.mutation ? cause(f.request.mutation) : f.request.kind}|${cause(f.detail)}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { kind: f.kind, op: f.request.op, detail: f.detail, count: 1, first: f.request });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** One request, as a reader reproduces it; an anonymous one also as bytes to send to `npm start`'s gateway. */
export function describeRequest(r: Reproducer): string {
  const anonymous = !r.headers.some(([n]) => n === 'authorization');
  const lines = [
    `  #${r.index} (seed ${r.seed}) as ${r.caller}, ${r.kind}${r.mutation ? `: ${r.mutation}` : ''}`,
    `  ${r.method} ${r.target}`,
    ...r.headers.filter(([n]) => n !== 'authorization').map(([n, v]) => `  ${n}: ${JSON.stringify(v).slice(1, -1)}`),
    ...(r.headers.some(([n]) => n === 'authorization') ? [`  authorization: <the ${r.caller === 'anonymous' ? 'customer' : r.caller}'s token, or as the mutation says>`] : []),
    ...(r.body !== undefined ? [`  body (${r.bodyBytes} bytes): ${JSON.stringify(r.body).slice(0, 400)}`] : []),
    ...(r.status !== undefined ? [`  -> ${r.status} ${JSON.stringify(r.answer ?? '').slice(0, 300)}`] : []),
    ...(r.raw && anonymous && r.raw.length <= 600 ? [`  replay: echo ${r.raw} | base64 -d | nc 127.0.0.1 8080`] : []),
  ];
  return lines.join('\n');
}

/** The first `limit` failure groups, each with a reproducer: the message a failing CI run shows. */
export function describeFailures(failures: ReadonlyArray<Failure<string>>, limit = 8): string {
  const groups = groupFailures(failures);
  const shown = groups.slice(0, limit).map((g) => `${g.kind} ×${g.count}, first on ${g.op}: ${g.detail.slice(0, 200)}\n${describeRequest(g.first)}`);
  return [...shown, ...(groups.length > limit ? [`… and ${groups.length - limit} more kinds of failure`] : [])].join('\n\n');
}

/** Identical lines once each, with how many there were. */
export function tally(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, n]) => (n > 1 ? `${n} × ${line}` : line));
}

/** Dead letters grouped by service, type and error, each group with the request that made its first letter. */
export function describeDeadLetters(letters: readonly DeadLetterFinding[], limit = 8): string {
  const groups = new Map<string, DeadLetterFinding[]>();
  for (const d of letters) {
    const what = `${d.service} dead-lettered ${d.type} (${d.purpose}): ${d.error}`;
    groups.set(what, [...(groups.get(what) ?? []), d]);
  }
  return [...groups].slice(0, limit).map(([what, list]) => {
    // The earliest request, preferring one that names its items: a cart checkout depends on the requests before it.
    const named = list.filter((d) => d.request).sort((a, b) => Number(!a.request!.body?.includes('"items"')) - Number(!b.request!.body?.includes('"items"')) || a.request!.index - b.request!.index)[0];
    const accepted = list.filter((d) => d.accepted).length;
    return `${list.length} × ${what}\n  ${accepted} made by requests the API accepted; ${named?.request ? `the first:\n${describeRequest(named.request)}` : 'none the fuzzer can name'}`;
  }).join('\n\n');
}

/** The status counts per operation, as a text table with a total row. */
export function statusTable(report: FuzzReport): string {
  const statuses = Object.keys(report.statuses).sort();
  const ops = Object.keys(report.perOperation).sort((a, b) => a.replace(/^\S+ /, '').localeCompare(b.replace(/^\S+ /, '')) || a.localeCompare(b));
  const width = Math.max(9, ...ops.map((o) => o.length));
  const cell = (v: string | number) => String(v).padStart(Math.max(4, ...statuses.map((s) => s.length)) + 1);
  const header = `${'operation'.padEnd(width)}${statuses.map(cell).join('')}${cell('total')}`;
  const rows = ops.map((op) => {
    const row = report.perOperation[op]!;
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    return `${op.padEnd(width)}${statuses.map((s) => cell(row[s] ?? '.')).join('')}${cell(total)}`;
  });
  const total = `${'all'.padEnd(width)}${statuses.map((s) => cell(report.statuses[s] ?? 0)).join('')}${cell(report.sent)}`;
  return [header, '-'.repeat(header.length), ...rows, '-'.repeat(header.length), total].join('\n');
}

/** The closing note: counts, invariants, dead letters and failures in short. */
export function summary(report: FuzzReport): string {
  const failureKinds = report.failures.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {});
  const contractKinds = report.contract.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {});
  const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const accepted = report.deadLetters.filter((d) => d.accepted).length;
  return [
    `Fuzzed with seed ${report.seed}: ${report.sent} of ${report.planned} requests (${fmt(report.kinds)}) in ${(report.durationMs / 1000).toFixed(1)} s: setup ${(report.phasesMs.prepare / 1000).toFixed(1)} s, sending ${(report.phasesMs.send / 1000).toFixed(1)} s, settling and checks ${(report.phasesMs.settle / 1000).toFixed(1)} s.`,
    `Statuses: ${fmt(report.statuses)}.`,
    `Orders accepted: ${report.orders.accepted} (${fmt(report.orders.outcomes)}).`,
    `Conditional checks applied: ${fmt(report.checked)}.`,
    `Failures: ${fmt(failureKinds)}.`,
    `Contract differences (reported, not failing): ${fmt(contractKinds)}.`,
    `Invariants: I1–I5 ${report.invariants.length ? `violated ${report.invariants.length} time(s)` : 'hold'}; ` +
      `I6 ${failureKinds.idempotency ? `violated ${failureKinds.idempotency} time(s)` : 'holds'} over ${(report.checked['idempotency (reuse-same)'] ?? 0) + (report.checked['idempotency (reuse-other)'] ?? 0)} repeated keys; ` +
      `I7 ${failureKinds.isolation ? `violated ${failureKinds.isolation} time(s)` : 'holds'} over ${report.checked.isolation ?? 0} customer answers.`,
    `Dead letters: ${report.deadLetters.length}${report.deadLetters.length ? ` (${accepted} from requests the API accepted)` : ''}.`,
  ].join('\n');
}

/** Writes the report as JSON, creating the directory. */
export async function writeReport(report: FuzzReport, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
