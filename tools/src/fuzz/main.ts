import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { progress } from '../progress.ts';
import { ROOT } from '../processes.ts';
import { fuzz } from './fuzz.ts';
import { startFuzzPlatform } from './platform.ts';
import { describeDeadLetters, describeFailures, statusTable, summary, tally, writeReport } from './report.ts';

/**
 * `npm run fuzz [-- --requests N --seed S --time-limit SECONDS --concurrency C --out FILE]`:
 * starts the platform in embedded mode on a throwaway data directory, fuzzes its public API,
 * prints the status table and the findings, writes them as JSON, and exits 1 on any failure.
 * Without --seed the seed is random and printed, so a failing run can be replayed.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '2000' },
      seed: { type: 'string' },
      'time-limit': { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '4' },
      out: { type: 'string', default: `${ROOT}test-results/fuzz.json` },
    },
  });
  const number = (name: string, text: string | undefined, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, not ${JSON.stringify(text)}`);
    return n;
  };
  const requests = number('requests', values.requests, 1);
  const seed = values.seed === undefined ? randomInt(2 ** 31) : number('seed', values.seed, 0);
  const timeLimitMs = number('time-limit', values['time-limit'], 1) * 1000;
  const concurrency = number('concurrency', values.concurrency, 1);

  process.stderr.write(`Fuzzing with seed ${seed} (replay with: npm run fuzz -- --seed ${seed} --requests ${requests})\n`);
  const platform = await startFuzzPlatform();
  try {
    const tick = progress('Fuzzing', requests);
    const log = (line: string) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${line}\n`);
    const report = await fuzz(platform.gatewayUrl, { requests, seed, timeLimitMs, concurrency, onProgress: tick, log });
    await writeReport(report, values.out);
    const out = process.stdout;
    out.write(`\n${statusTable(report)}\n\n${summary(report)}\n`);
    if (report.invariants.length) out.write(`\nInvariant violations:\n${tally(report.invariants).map((p) => `  ${p}`).join('\n')}\n`);
    if (report.deadLetters.length) out.write(`\nDead letters, grouped:\n\n${describeDeadLetters(report.deadLetters, 30)}\n`);
    if (report.failures.length) out.write(`\nFailures, grouped, each with its first request:\n\n${describeFailures(report.failures, 30)}\n`);
    if (report.contract.length) out.write(`\nWhere the platform and its document disagree:\n\n${describeFailures(report.contract, 15)}\n`);
    out.write(`\nThe full report: ${values.out}\n`);
    return report.failures.length || report.invariants.length || report.deadLetters.length ? 1 : 0;
  } finally {
    await platform.stop();
  }
}

process.exitCode = await main();
