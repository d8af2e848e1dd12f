import type { BlockList } from 'node:net';
import { parseAddressList } from './request-edge.ts';

/**
 * Settings: declared once per service, parsed and validated once at start. This is the only
 * module in the codebase that reads `process.env`; everything else receives parsed values.
 */

/** A raw source of settings, normally the process environment. */
export type SettingsSource = Readonly<Record<string, string | undefined>>;

/** One setting's parser. Build them with the helpers in `setting`. */
export interface Field<T> {
  /** Text shown in the error when the value is rejected. */
  expects: string;
  /** Returns undefined when the raw text is not acceptable. */
  parse(raw: string): T | undefined;
  /** What an absent setting means. */
  absent: { kind: 'required' } | { kind: 'default'; value: T; devOnly?: boolean };
  /** A secret's rejected value is never echoed in an error. */
  secret?: boolean;
}

/** Marks a setting as secret: errors name it but never show its value. */
export function secret<T>(f: Field<T>): Field<T> {
  return { ...f, secret: true };
}

/** A map from setting name (as in the environment) to its parser. */
export type SettingsSpec = Record<string, Field<unknown>>;

/** The parsed settings of a spec. */
export type Settings<S extends SettingsSpec> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Thrown when one or more settings are missing or bad; the message names every one. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function field<T>(expects: string, parse: (raw: string) => T | undefined) {
  const make = (absent: Field<T>['absent']): Field<T> => ({ expects, parse, absent });
  return {
    /** Required, unless `fallback` is given. */
    with: (fallback?: T): Field<T> => make(fallback === undefined ? { kind: 'required' } : { kind: 'default', value: fallback }),
    optional: (): Field<T | undefined> => make({ kind: 'default', value: undefined as T }) as Field<T | undefined>,
    /** A development default that production refuses (secrets, default credentials). */
    devDefault: (value: T): Field<T> => make({ kind: 'default', value, devOnly: true }),
  };
}

const parseUrl = (s: string): string | undefined => {
  try {
    return new URL(s).toString().replace(/\/$/, '');
  } catch {
    return undefined;
  }
};

const BOOLEANS = new Map([['true', true], ['1', true], ['false', false], ['0', false]]);

/** Builders for the kinds of setting the services use. */
export const setting = {
  string: () => field('a non-empty string', (s) => (s.length > 0 ? s : undefined)),
  int: ({ min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) =>
    field(`an integer from ${min} to ${max}`, (s) => {
      if (!/^-?\d+$/.test(s)) return undefined;
      const n = Number(s);
      return n >= min && n <= max ? n : undefined;
    }),
  port: () => setting.int({ min: 0, max: 65535 }),
  /** A lowercase SQL identifier: letters, digits and underscores. */
  identifier: () => field('a lowercase identifier (a-z, 0-9, _)', (s) => (/^[a-z_][a-z0-9_]{0,40}$/.test(s) ? s : undefined)),
  bool: () => field('true or false', (s) => BOOLEANS.get(s.toLowerCase())),
  oneOf: <const T extends string>(values: readonly T[]) => field(`one of ${values.join(', ')}`, (s) => values.find((v) => v === s)),
  url: () => field('a URL', parseUrl),
  /** A setting with its own parser, which returns undefined for a value it refuses. */
  custom: <T>(expects: string, parse: (raw: string) => T | undefined) => field(expects, parse),
  /** A comma-separated list of IP addresses and CIDR blocks: `127.0.0.0/8,::1`. */
  addressList: () => field<BlockList>('a comma-separated list of IP addresses or CIDR blocks', parseAddressList),
  /** A comma-separated list of URLs, one per replica. */
  urlList: () =>
    field('a comma-separated list of URLs', (s) => {
      const urls = s.split(',').map((p) => p.trim()).filter(Boolean).map(parseUrl);
      return urls.length && urls.every((u) => u !== undefined) ? (urls as string[]) : undefined;
    }),
};

/** Settings every service has. */
export const commonSettings = {
  NODE_ENV: setting.oneOf(['development', 'test', 'production']).with('development'),
  HOST: setting.string().with('127.0.0.1'),
  LOG_LEVEL: setting.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).with('info'),
  /**
   * `json` (one object a line, for collectors) or `pretty` (human-readable, through pino-pretty, a
   * development dependency). Unset: pretty when NODE_ENV=development and stdout is a terminal, else json.
   */
  LOG_FORMAT: setting.oneOf(['json', 'pretty']).optional(),
  DATABASE_URL: setting.url().optional(),
  /** Each service's database is named <prefix>_<service> on DATABASE_URL's server. */
  DATABASE_PREFIX: setting.identifier().with('emporium'),
  /** Connections each process keeps to its PostgreSQL database; replicas × this must fit the server's max_connections. */
  DATABASE_POOL_SIZE: setting.int({ min: 1, max: 200 }).with(10),
  DATA_DIR: setting.string().with('./.data'),
  OTEL_EXPORTER_OTLP_ENDPOINT: setting.url().optional(),
  /**
   * Where finished spans go besides the in-memory buffer behind /ops/traces: `otlp` (OTLP/HTTP to
   * OTEL_EXPORTER_OTLP_ENDPOINT, or the exporter's default http://localhost:4318), `console`
   * (stdout, for development) or `none`. Unset: otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.
   */
  OTEL_TRACES_EXPORTER: setting.oneOf(['otlp', 'console', 'none']).optional(),
  /** `service.version` on every span's resource; unset, the build's version (see serviceVersion in telemetry.ts). */
  EMPORIUM_VERSION: setting.string().optional(),
  /** NATS with JetStream, for events between processes; without it, events stay in the process. */
  NATS_URL: setting.url().optional(),
  /** The outbox relay's fallback poll; commits wake it at once (after-commit hook, LISTEN/NOTIFY). */
  OUTBOX_POLL_MS: setting.int({ min: 50, max: 600_000 }).with(5_000),
  /** Prefix of every event subject, stream and consumer on the NATS server. */
  EVENTS_NAMESPACE: setting.identifier().with('emporium'),
  /** How long published outbox rows and JetStream messages are kept (inbox records a day longer). */
  EVENTS_RETENTION_HOURS: setting.int({ min: 1, max: 24 * 366 }).with(24 * 7),
  /**
   * A flagd flags file of run-time faults (see the kit's README, "Faults"), watched for changes;
   * unset, no fault is ever injected. A file that does not exist yet is created empty.
   */
  FAULTS_FILE: setting.string().optional(),
  /** How often the faults file is checked for changes. */
  FAULTS_POLL_MS: setting.int({ min: 20, max: 60_000 }).with(500),
} satisfies SettingsSpec;

export type CommonSettings = Settings<typeof commonSettings>;

/**
 * Parses `source` against `spec`. Every problem is collected before throwing, so one start
 * shows all bad settings at once. With NODE_ENV=production, development secrets are refused.
 */
export function parseSettings<S extends SettingsSpec>(spec: S, source: SettingsSource): Settings<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const production = source.NODE_ENV?.trim() === 'production';
  for (const [name, f] of Object.entries(spec)) {
    const raw = source[name]?.trim();
    const { absent } = f;
    if (raw === undefined || raw === '') {
      if (absent.kind === 'required') problems.push(`${name} is required (${f.expects})`);
      else if (absent.devOnly && production) problems.push(`${name} must be set in production: its development default is refused`);
      else out[name] = absent.value;
      continue;
    }
    const value = f.parse(raw);
    if (value === undefined) {
      const shown = f.secret ? '' : `=${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)}`;
      problems.push(`${name}${shown} is invalid: expected ${f.expects}`);
    } else if (absent.kind === 'default' && absent.devOnly && production && value === absent.value) {
      problems.push(`${name} must not use its development default in production`);
    } else {
      out[name] = value;
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Settings<S>;
}

/** The process environment, for entry points only. */
export function processEnv(): SettingsSource {
  return process.env;
}
