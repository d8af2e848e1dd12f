import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Makes sure a Debian package's command is present, installing the package when it is not. */
export function ensureCommand(command: string, debianPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`${command} is missing: installing the Debian package ${debianPackage}…\n`);
    execFileSync('sh', ['-c', `apt-get install -y -qq ${debianPackage} >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq ${debianPackage})`], { stdio: 'inherit' });
  }
}

/** What the numbers were measured on. */
export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
}

/** Prints rows as an aligned text table. */
export function table(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => cell(r[k] ?? ''))))].join('\n');
}
