import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { CARD_NAMES, resolveOptions, type CardName, type LoadOptions } from './options.ts';
import { ACTION_ORDER, writeReport, type LoadReport, type LoadSnapshot } from './report.ts';
import { poissonArrivals, prng, realClock, runArrivals, sleep, substreamSeed } from './schedule.ts';
import { readCatalog, runSession, settleOrders, ShopperPool, type PlacedOrder, type SessionContext, type Shopper } from './shop.ts';
import { Recorder, Samples } from './stats.ts';

export type { LoadOptions } from './options.ts';
export { CARDS, DEFAULTS, LoadOptionsError, resolveOptions } from './options.ts';
export type { LoadReport, LoadSnapshot } from './report.ts';
export { LoadSetupError, type PlacedOrder } from './shop.ts';

/** What runLoad takes besides the options. */
export interface RunControls {
  /** Aborting stops the run as --duration would: no new sessions, the grace, the settle, the report. */
  signal?: AbortSignal;
  /** Aborting cuts the grace and the settle short (a second Ctrl-C). */
  finishNow?: AbortSignal;
  /** Called about once a second while the run goes on. */
  onProgress?: (snapshot: LoadSnapshot) => void;
  /** Setup messages and warnings. */
  log?: (line: string) => void;
}

const round = (v: number, digits = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : null);

/**
 * An open-loop load run against a gateway. Sessions arrive at random (Poisson, seeded) at
 * `rate` per second for `durationSeconds`, whatever the platform answers; at most `maxSessions`
 * are in flight, and an arrival over that is dropped and counted. Arrivals stop at the duration,
 * after `maxRequests` (no request is sent past it), or when `signal` aborts; sessions in flight
 * then have `graceMs` to end (none starts) before their requests are cut off, placed orders have
 * `settleMs` to reach a final status, and the report is returned (and written to `out` when
 * given). Throws LoadOptionsError for bad options and LoadSetupError when the run
 * cannot start (platform unreachable, empty catalog, no shopper can sign in).
 */
export async function runLoad(options: LoadOptions & RunControls): Promise<LoadReport> {
  const opts = resolveOptions(options);
  const log = options.log ?? (() => {});
  const startedAt = new Date();

  const catalog = await readCatalog(opts, log);
  log(`Catalog: ${catalog.products.length} products, ${catalog.products.filter((p) => p.available > 0).length} in stock. Signing in ${opts.shoppers} shoppers (registering those that do not exist yet)…`);
  const setup = new Recorder();
  const { pool, registered, reused } = await ShopperPool.open(opts, setup, performance.now(), log);
  log(`Shoppers ready: ${reused} signed in, ${registered} registered. Running.`);

  const recorder = new Recorder();
  const stopCtl = new AbortController();
  const hardCtl = new AbortController();
  // Every request and think time listens to the hard stop while it lasts.
  setMaxListeners(0, stopCtl.signal, hardCtl.signal);
  let stopReason: LoadReport['stopReason'] | null = null;
  const stop = (reason: LoadReport['stopReason']) => {
    if (stopReason) return;
    stopReason = reason;
    stopCtl.abort();
  };
  const onAbort = () => stop('aborted');
  options.signal?.addEventListener('abort', onAbort);
  options.finishNow?.addEventListener('abort', onAbort);
  if (options.signal?.aborted || options.finishNow?.aborted) stop('aborted');

  let sent = 0;
  const orders: PlacedOrder[] = [];
  const owners = new Map<string, Shopper>();
  const t0 = performance.now();
  const ctx: SessionContext = {
    opts,
    recorder,
    t0,
    catalog,
    pool,
    orders,
    owners,
    hard: hardCtl.signal,
    runTag: randomUUID().slice(0, 8),
    admit: () => {
      if (hardCtl.signal.aborted || (opts.maxRequests !== null && sent >= opts.maxRequests)) return false;
      sent++;
      if (opts.maxRequests !== null && sent >= opts.maxRequests) stop('max-requests');
      return true;
    },
  };

  const inFlight = new Set<Promise<void>>();
  const lags = new Samples();
  let completed = 0;
  let cutShort = 0;
  let failed = 0;
  let phase: LoadSnapshot['phase'] = 'running';
  let loadEnd: number | null = null;
  let drainEnd: number | null = null;
  const snapshot = (): LoadSnapshot => {
    const elapsed = ((loadEnd ?? performance.now()) - t0) / 1000;
    return {
      phase,
      elapsedSeconds: (performance.now() - t0) / 1000,
      targetRate: opts.rate,
      sessionsStarted: recorder.sessionsStarted,
      sessionsPerSecond: elapsed > 0 ? recorder.sessionsStarted / elapsed : 0,
      dropped: recorder.dropped,
      inFlight: inFlight.size,
      requests: recorder.requests,
      requestsPerSecond: recorder.requests / Math.max(0.001, ((drainEnd ?? performance.now()) - t0) / 1000),
      ok: recorder.ok,
      errors: { ...recorder.errors },
      actions: recorder.live(ACTION_ORDER),
      ordersPlaced: orders.length,
    };
  };
  const ticker = setInterval(() => {
    if (phase === 'running') recorder.sampleInFlight(performance.now() - t0, inFlight.size);
    options.onProgress?.(snapshot());
  }, 1000);

  try {
    await runArrivals({
      arrivals: poissonArrivals(opts.rate, prng(opts.seed)),
      clock: realClock,
      endMs: opts.durationSeconds * 1000,
      signal: stopCtl.signal,
      onArrival: (index, _due, lateMs) => {
        lags.push(lateMs);
        const at = performance.now() - t0;
        if (inFlight.size >= opts.maxSessions) {
          recorder.sessionDropped(at);
          return;
        }
        recorder.sessionStarted(at);
        const session: Promise<void> = runSession(ctx, index, prng(substreamSeed(opts.seed, index)))
          .then(
            (finished) => void (finished ? completed++ : cutShort++),
            (err: Error) => {
              if (failed++ === 0) log(`A session failed in the generator: ${err.stack ?? err.message}`);
            },
          )
          .finally(() => inFlight.delete(session));
        inFlight.add(session);
      },
    });
    stop('duration');
    loadEnd = performance.now();
    recorder.sampleInFlight(loadEnd - t0, inFlight.size);

    // The grace: sessions in flight may go on to their end (none starts); then whatever is left is cut off.
    phase = 'grace';
    const graceOver = new AbortController();
    const abortGrace = () => graceOver.abort();
    options.finishNow?.addEventListener('abort', abortGrace);
    await Promise.race([Promise.all([...inFlight]), sleep(options.finishNow?.aborted ? 0 : opts.graceMs, graceOver.signal)]);
    // Clears the grace's timer when the sessions ended first.
    graceOver.abort();
    options.finishNow?.removeEventListener('abort', abortGrace);
    hardCtl.abort();
    await Promise.all([...inFlight]);
    drainEnd = performance.now();

    phase = 'settle';
    await settleOrders(ctx, options.finishNow?.aborted ? 0 : opts.settleMs, options.finishNow);
  } finally {
    clearInterval(ticker);
    options.signal?.removeEventListener('abort', onAbort);
    options.finishNow?.removeEventListener('abort', onAbort);
    hardCtl.abort();
  }

  const elapsedSeconds = ((loadEnd ?? performance.now()) - t0) / 1000;
  // Requests go on during the grace: their rate is over the time until the last session ended.
  const activeSeconds = ((drainEnd ?? performance.now()) - t0) / 1000;
  const byStatus: Record<string, number> = {};
  const byCard = Object.fromEntries(CARD_NAMES.map((c) => [c, {}])) as Record<CardName, Record<string, number>>;
  for (const o of orders) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    byCard[o.card][o.status] = (byCard[o.card][o.status] ?? 0) + 1;
  }
  const { admin, ...rest } = opts;
  const report: LoadReport = {
    tool: 'emporium-load',
    version: 1,
    options: { ...rest, admin: admin?.email ?? null },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    stopReason: stopReason ?? 'duration',
    elapsedSeconds: round(elapsedSeconds, 3)!,
    catalog: { products: catalog.products.length, inStock: catalog.products.filter((p) => p.available > 0).length },
    shoppers: { pool: pool.shoppers.length, registered, reused },
    sessions: {
      started: recorder.sessionsStarted,
      dropped: recorder.dropped,
      completed,
      cutShort,
      failed,
      perSecond: round(elapsedSeconds > 0 ? recorder.sessionsStarted / elapsedSeconds : 0, 3)!,
      startLagMs: { p50: round(lags.quantile(0.5)), p99: round(lags.quantile(0.99)), max: round(lags.max()) },
    },
    requests: { total: recorder.requests, ok: recorder.ok, errors: { ...recorder.errors }, aborted: recorder.aborted, perSecond: round(activeSeconds > 0 ? recorder.requests / activeSeconds : 0, 3)!, activeSeconds: round(activeSeconds, 3)! },
    actions: recorder.summary(ACTION_ORDER),
    setup: setup.summary(ACTION_ORDER),
    series: recorder.series(activeSeconds * 1000),
    orders: { placed: orders.length, byStatus, byCard, list: orders },
    files: { json: null, svg: null },
  };
  if (opts.out) report.files = await writeReport(report, opts.out);
  return report;
}
