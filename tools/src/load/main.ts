import { randomInt } from 'node:crypto';
import { statusLine } from '../progress.ts';
import { runLoad, LoadOptionsError, LoadSetupError } from './load.ts';
import { DEFAULTS, parseLoadArgs, USAGE } from './options.ts';
import { finalTable, progressText } from './report.ts';

/**
 * `npm run load -- --url URL --rate R --duration S …` (see --help and docs/load.md): an open-loop
 * load on a running gateway. Prints a live line on stderr and the final table on stdout, and
 * writes load.json and load.svg. Ctrl-C stops early and still reports; a second one skips the
 * waits; a third exits at once.
 */
async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseLoadArgs>;
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof LoadOptionsError)) throw err;
    process.stderr.write(`npm run load: ${err.message}\nSee: npm run load -- --help\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = { ...parsed, seed: parsed.seed ?? randomInt(2 ** 31) };

  const line = statusLine(process.stderr);
  const log = (text: string) => process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${text}\n`);
  const stop = new AbortController();
  const finishNow = new AbortController();
  let interrupts = 0;
  let lastSignal = 0;
  const onSignal = () => {
    // `npm run` passes a Ctrl-C on to its child, which the terminal has signalled too: one press
    // arrives twice within moments.
    if (Date.now() - lastSignal < 1000) return;
    lastSignal = Date.now();
    interrupts++;
    if (interrupts === 1) {
      log('Stopping: sessions in flight get the grace time, then placed orders are checked (Ctrl-C again to skip the waits).');
      stop.abort();
    } else if (interrupts === 2) {
      log('Skipping the waits.');
      finishNow.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  log(`Load on ${options.url}: ${options.rate ?? DEFAULTS.rate} sessions/s for ${options.durationSeconds ?? DEFAULTS.durationSeconds} s${options.maxRequests ? ` or ${options.maxRequests} requests` : ''}, seed ${options.seed} (replay with --seed ${options.seed}).`);
  try {
    let last = '';
    const report = await runLoad({
      ...options,
      signal: stop.signal,
      finishNow: finishNow.signal,
      log,
      onProgress: (snapshot) => line.update((last = progressText(snapshot))),
    });
    line.done(last || undefined);
    process.stdout.write(`\n${finalTable(report)}\n`);
    if (report.files.json) process.stdout.write(`\nWrote ${report.files.json} and ${report.files.svg}\n`);
    return 0;
  } catch (err) {
    line.done('');
    if (err instanceof LoadSetupError || err instanceof LoadOptionsError) {
      process.stderr.write(`npm run load: ${err.message}\n`);
      return err instanceof LoadOptionsError ? 2 : 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

process.exitCode = await main();
