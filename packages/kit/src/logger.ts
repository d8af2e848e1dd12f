import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { currentCorrelationId } from './telemetry.ts';

export type { Logger };

/** `json`: one object a line, for collectors; `pretty`: human-readable, for a terminal. */
export type LogFormat = 'json' | 'pretty';

/** How a logger writes. */
export interface LoggerOptions {
  /** JSON by default. */
  format?: LogFormat;
  /** Where lines go instead of stdout (tests collect them). */
  destination?: DestinationStream;
}

/**
 * LOG_FORMAT, or its default: pretty in development at a terminal when pino-pretty is installed
 * (a production image run with NODE_ENV=development has none), JSON anywhere else.
 */
export function logFormat(setting: LogFormat | undefined, nodeEnv: string, isTTY = process.stdout.isTTY === true): LogFormat {
  return setting ?? (nodeEnv === 'development' && isTTY && prettyInstalled() ? 'pretty' : 'json');
}

function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

const IDS_BOUND = Symbol('emporium.log.ids-bound');
type Marked = Logger & { [IDS_BOUND]?: boolean };

/**
 * Marks a logger whose bindings already hold `traceId` and `correlationId` (a request's, an event
 * handler's), so lines written through it, and through its children, do not get them twice.
 */
export function markTraceIds(logger: Logger): Logger {
  (logger as Marked)[IDS_BOUND] = true;
  return logger;
}

/**
 * Adds the trace id and correlation id of the work in progress (the active OpenTelemetry
 * context: a request's handler, an event's handler) to a line written through the service's own
 * logger, so `ctx.log` inside a handler is as traceable as `request.log`.
 */
function traceIds(_line: object, _level: number, logger: Logger): object {
  if ((logger as Marked)[IDS_BOUND]) return {};
  const ctx = context.active();
  const span = trace.getSpan(ctx)?.spanContext();
  if (!span || !isSpanContextValid(span)) return {};
  const correlationId = currentCorrelationId(ctx);
  return correlationId ? { traceId: span.traceId, correlationId } : { traceId: span.traceId };
}

/**
 * A logger that stamps every line with the service name and, inside a request or an event
 * handler, the trace id and correlation id. JSON by default; `pretty` needs pino-pretty, a
 * development dependency that production images leave out, so it is loaded only when asked for.
 */
export function createLogger(service: string, level: LevelWithSilent, opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? (opts.format === 'pretty' ? prettyStream() : undefined);
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: traceIds,
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

type PrettyFactory = (opts: Record<string, unknown>) => DestinationStream;
let prettyFactory: PrettyFactory | undefined;

/** pino-pretty's stream to stdout, one for each logger (they write synchronously, so lines never interleave). */
function prettyStream(): DestinationStream {
  if (!prettyFactory) {
    try {
      prettyFactory = createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      throw new Error('LOG_FORMAT=pretty needs the pino-pretty package, a development dependency that is not installed here (production images leave it out). Install it (npm install), or set LOG_FORMAT=json.', { cause: err });
    }
  }
  return prettyFactory({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: '[{service}] {msg}',
    ignore: 'service',
  });
}
