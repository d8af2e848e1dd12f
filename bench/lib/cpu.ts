import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A running process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  comm: string;
  cmdline: string;
  /** User plus system CPU time used so far, in seconds. */
  cpuSeconds: number;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, comm, cmdline, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
  } catch {
    return undefined;
  }
}

/** Every process on the machine, with its CPU time so far. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProcess(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The whole machine's CPU time so far, summed over all cores, in seconds: busy, in interrupts (part of busy), and in total. */
export function machineCpuSeconds(): { busy: number; interrupts: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - v[3]! - v[4]!) / TICKS, interrupts: (v[5]! + v[6]!) / TICKS, total: total / TICKS };
}

/** A point-in-time reading of CPU time per group of processes. */
export interface CpuSnapshot {
  at: number;
  machine: { busy: number; interrupts: number; total: number };
  byPid: Map<number, { group: string; cpuSeconds: number }>;
}

/** Reads every process's CPU time, keeping those that `classify` puts in a group. */
export function cpuSnapshot(classify: (p: ProcessInfo) => string | undefined): CpuSnapshot {
  const byPid = new Map<number, { group: string; cpuSeconds: number }>();
  for (const p of listProcesses()) {
    const group = classify(p);
    if (group) byPid.set(p.pid, { group, cpuSeconds: p.cpuSeconds });
  }
  return { at: performance.now(), machine: machineCpuSeconds(), byPid };
}

/** CPU used between two snapshots per group, in % of one core, plus the machine's total and what no group accounts for. */
export function cpuUsage(start: CpuSnapshot, end: CpuSnapshot): Record<string, number> {
  const seconds = (end.at - start.at) / 1000;
  const used = new Map<string, number>();
  for (const [pid, e] of end.byPid) {
    const before = start.byPid.get(pid)?.cpuSeconds ?? 0;
    used.set(e.group, (used.get(e.group) ?? 0) + e.cpuSeconds - before);
  }
  const out: Record<string, number> = {};
  let grouped = 0;
  for (const [group, s] of [...used].sort((a, b) => b[1] - a[1])) {
    out[group] = Math.round((s / seconds) * 100);
    grouped += s;
  }
  const machineBusy = end.machine.busy - start.machine.busy;
  out['unaccounted (exited processes…)'] = Math.max(0, Math.round(((machineBusy - grouped) / seconds) * 100));
  out['of which interrupts (in the processes\' time)'] = Math.round(((end.machine.interrupts - start.machine.interrupts) / seconds) * 100);
  out['machine (all cores)'] = Math.round((machineBusy / seconds) * 100);
  out['machine capacity'] = Math.round(((end.machine.total - start.machine.total) / seconds) * 100);
  return out;
}
