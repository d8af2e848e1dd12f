import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What a session may do; `browse` is a product list and a product page. */
export const MIX_ACTIONS = ['register', 'browse', 'search', 'cart', 'checkout', 'cancel', 'follow'] as const;
export type MixAction = (typeof MIX_ACTIONS)[number];

/** The fake payment provider's test cards (README, "Test cards"). */
export const CARDS = {
  approved: '4242424242424242',
  declined: '4000000000000002',
  insufficient: '4000000000009995',
  timeout: '4000000000000119',
} as const;
export type CardName = keyof typeof CARDS;
export const CARD_NAMES = Object.keys(CARDS) as CardName[];

export const DEFAULT_MIX: Readonly<Record<MixAction, number>> = { register: 0, browse: 40, search: 20, cart: 15, checkout: 15, cancel: 5, follow: 5 };
export const DEFAULT_CARDS: Readonly<Record<CardName, number>> = { approved: 80, declined: 10, insufficient: 5, timeout: 5 };

/** The options of a load run. Only `url` is required; the rest default to `DEFAULTS`. */
export interface LoadOptions {
  /** The gateway's base URL (a trailing `/api/v1` is dropped). */
  url: string;
  /** Sessions (shoppers' visits) started per second, on average (Poisson arrivals). */
  rate?: number;
  /** How long sessions keep arriving, in seconds. */
  durationSeconds?: number;
  /** Stop after this many requests have been sent by sessions (setup and the final order checks do not count). */
  maxRequests?: number;
  /** Relative weight of each action: the mean number of times each runs per session is proportional to it. */
  mix?: Partial<Record<MixAction, number>>;
  /** Relative weight of each test card at checkout. */
  cards?: Partial<Record<CardName, number>>;
  /** Seeds the arrivals and every session's choices. Random (and reported) when absent. */
  seed?: number;
  /** Where load.json and load.svg go; none are written when absent or null. */
  out?: string | null;
  /** Registered shoppers the sessions share (signed in, or registered once, at the start). */
  shoppers?: number;
  /** Sessions in flight at most; an arrival over the cap is dropped and counted. */
  maxSessions?: number;
  /** A session waits a random 0 to thinkMs between its actions. */
  thinkMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** How long `follow` waits on an order's event stream for a final status. */
  followTimeoutMs?: number;
  /** After arrivals stop, how long sessions in flight may go on to their end before their requests are cut off. */
  graceMs?: number;
  /** After the grace, how long to wait for placed orders to reach a final status. */
  settleMs?: number;
  /** An admin, only used to create products when the catalog is empty. */
  admin?: { email: string; password: string } | null;
}

/** Every option with its value filled in. */
export type ResolvedOptions = Required<Omit<LoadOptions, 'mix' | 'cards' | 'maxRequests' | 'admin' | 'out'>> & {
  mix: Record<MixAction, number>;
  cards: Record<CardName, number>;
  maxRequests: number | null;
  out: string | null;
  admin: { email: string; password: string } | null;
};

export const DEFAULTS = {
  url: 'http://127.0.0.1:8080',
  rate: 2,
  durationSeconds: 60,
  shoppers: 8,
  maxSessions: 32,
  thinkMs: 500,
  timeoutMs: 10_000,
  followTimeoutMs: 30_000,
  graceMs: 10_000,
  settleMs: 20_000,
  out: 'test-results/load',
} as const;

/** A bad option: the CLI prints the message and exits 2. */
export class LoadOptionsError extends Error {}

function fail(message: string): never {
  throw new LoadOptionsError(message);
}

/** `a=1,b=2` → weights over `keys`; keys not named are 0. */
export function parseWeights<K extends string>(name: string, text: string, keys: readonly K[]): Record<K, number> {
  const weights = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(part);
    if (!m) fail(`--${name}: "${part}" is not name=weight (for example ${keys[0]}=10)`);
    const [, key, value] = m;
    if (!(keys as readonly string[]).includes(key!)) fail(`--${name}: unknown "${key}"; use ${keys.join(', ')}`);
    if (seen.has(key!)) fail(`--${name}: "${key}" is given twice`);
    seen.add(key!);
    weights[key as K] = Number(value);
  }
  return weights;
}

function checkWeights(name: string, weights: Record<string, number>, keys: readonly string[]): void {
  for (const k of Object.keys(weights)) if (!keys.includes(k)) fail(`${name}: unknown "${k}"; use ${keys.join(', ')}`);
  for (const [k, v] of Object.entries(weights)) if (!Number.isFinite(v) || v < 0) fail(`${name}: the weight of ${k} must be a number of at least 0`);
  if (!Object.values(weights).some((v) => v > 0)) fail(`${name}: at least one weight must be above 0`);
}

/** Fills in the defaults and checks every option; throws LoadOptionsError naming the first bad one. */
export function resolveOptions(options: LoadOptions): ResolvedOptions {
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    fail(`--url: "${options.url}" is not a URL`);
  }
  if (url!.protocol !== 'http:' && url!.protocol !== 'https:') fail(`--url: "${options.url}" is not an http(s) URL`);
  const base = url!.origin + url!.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const number = (name: string, value: number | undefined, fallback: number, min: number, max: number, integer = false): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(value)}`);
    return v;
  };
  const mix = { ...Object.fromEntries(MIX_ACTIONS.map((k) => [k, 0])), ...(options.mix ?? DEFAULT_MIX) } as Record<MixAction, number>;
  checkWeights('--mix', mix, MIX_ACTIONS);
  if (mix.cancel + mix.follow > mix.checkout) fail(`--mix: cancel + follow (${mix.cancel + mix.follow}) cannot exceed checkout (${mix.checkout}): only placed orders are cancelled or followed`);
  if (MIX_ACTIONS.every((k) => k === 'cancel' || k === 'follow' || mix[k] === 0)) fail('--mix: at least one of register, browse, search, cart, checkout must be above 0');
  const cards = { ...Object.fromEntries(CARD_NAMES.map((k) => [k, 0])), ...(options.cards ?? DEFAULT_CARDS) } as Record<CardName, number>;
  checkWeights('--cards', cards, CARD_NAMES);
  const admin = options.admin ?? null;
  if (admin && (!admin.email || !admin.password)) fail('--admin-email and --admin-password go together');
  return {
    url: base,
    rate: number('rate', options.rate, DEFAULTS.rate, 0.01, 10_000),
    durationSeconds: number('duration', options.durationSeconds, DEFAULTS.durationSeconds, 0.1, 7 * 86_400),
    maxRequests: options.maxRequests === undefined ? null : number('max-requests', options.maxRequests, 0, 1, Number.MAX_SAFE_INTEGER, true),
    mix,
    cards,
    seed: number('seed', options.seed, randomInt(2 ** 31), 0, 2 ** 32 - 1, true),
    out: options.out ?? null,
    shoppers: number('shoppers', options.shoppers, DEFAULTS.shoppers, 1, 10_000, true),
    maxSessions: number('max-sessions', options.maxSessions, DEFAULTS.maxSessions, 1, 100_000, true),
    thinkMs: number('think', options.thinkMs, DEFAULTS.thinkMs, 0, 600_000),
    timeoutMs: number('timeout', options.timeoutMs, DEFAULTS.timeoutMs, 1, 3_600_000),
    followTimeoutMs: number('follow-timeout', options.followTimeoutMs, DEFAULTS.followTimeoutMs, 1, 3_600_000),
    graceMs: number('grace', options.graceMs, DEFAULTS.graceMs, 0, 3_600_000),
    settleMs: number('settle', options.settleMs, DEFAULTS.settleMs, 0, 3_600_000),
    admin,
  };
}

export const USAGE = `Usage: npm run load -- [options]

An open-loop load generator for an Emporium gateway: shoppers' sessions arrive at random
(Poisson) at --rate per second, whatever the platform's answers, each browsing, searching,
adding to the cart, checking out with a test card, cancelling or following its order.
It stops after --duration or --max-requests, prints a table, and writes load.json and load.svg.

Options:
  --url URL               the gateway (default ${DEFAULTS.url})
  --rate R                sessions started per second, on average (default ${DEFAULTS.rate})
  --duration S            seconds during which sessions arrive (default ${DEFAULTS.durationSeconds})
  --max-requests N        stop after N requests, if that comes first (default: no limit)
  --mix WEIGHTS           relative number of each action (default ${weightsText(DEFAULT_MIX)});
                          actions: ${MIX_ACTIONS.join(', ')}; cancel + follow <= checkout
  --cards WEIGHTS         test cards at checkout (default ${weightsText(DEFAULT_CARDS)})
  --seed S                seed of the arrivals and of every choice (default: random, printed)
  --out DIR               where load.json and load.svg go (default ${DEFAULTS.out})
  --shoppers N            registered shoppers the sessions share (default ${DEFAULTS.shoppers})
  --max-sessions N        sessions in flight at most; arrivals over it are dropped (default ${DEFAULTS.maxSessions})
  --think MS              random pause of 0 to MS between a session's actions (default ${DEFAULTS.thinkMs})
  --timeout S             per-request timeout (default ${DEFAULTS.timeoutMs / 1000})
  --follow-timeout S      how long to follow an order for its final status (default ${DEFAULTS.followTimeoutMs / 1000})
  --grace S               after the stop, time sessions in flight have to end (default ${DEFAULTS.graceMs / 1000})
  --settle S              then, time for placed orders to reach a final status (default ${DEFAULTS.settleMs / 1000})
  --admin-email EMAIL     an admin, only to create products when the catalog is empty
  --admin-password PW
  -h, --help              this text

No session starts after the stop; those in flight go on for at most the grace.
Ctrl-C stops early and still reports; a second Ctrl-C skips the grace and settle waits.
Exit status: 0 after a run (whatever the platform answered), 1 when it could not start, 2 for bad options.
See docs/load.md.
`;

function weightsText(w: Readonly<Record<string, number>>): string {
  return Object.entries(w).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The CLI's arguments → options, or `'help'`. Throws LoadOptionsError for anything it refuses. */
export function parseLoadArgs(args: readonly string[], cwd = process.cwd()): LoadOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        'max-requests': { type: 'string' },
        mix: { type: 'string' },
        cards: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        shoppers: { type: 'string' },
        'max-sessions': { type: 'string' },
        think: { type: 'string' },
        timeout: { type: 'string' },
        'follow-timeout': { type: 'string' },
        grace: { type: 'string' },
        settle: { type: 'string' },
        'admin-email': { type: 'string' },
        'admin-password': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new LoadOptionsError((err as Error).message);
  }
  if (values.help) return 'help';
  const num = (name: string): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(n)) fail(`--${name} must be a number, not ${JSON.stringify(text)}`);
    return n;
  };
  const ms = (name: string) => {
    const s = num(name);
    return s === undefined ? undefined : s * 1000;
  };
  const adminEmail = values['admin-email'] as string | undefined;
  const adminPassword = values['admin-password'] as string | undefined;
  if ((adminEmail === undefined) !== (adminPassword === undefined)) fail('--admin-email and --admin-password go together');
  const options: LoadOptions = {
    url: (values.url as string | undefined) ?? DEFAULTS.url,
    rate: num('rate'),
    durationSeconds: num('duration'),
    maxRequests: num('max-requests'),
    mix: values.mix === undefined ? undefined : parseWeights('mix', values.mix as string, MIX_ACTIONS),
    cards: values.cards === undefined ? undefined : parseWeights('cards', values.cards as string, CARD_NAMES),
    seed: num('seed'),
    out: resolve(cwd, (values.out as string | undefined) ?? DEFAULTS.out),
    shoppers: num('shoppers'),
    maxSessions: num('max-sessions'),
    thinkMs: num('think'),
    timeoutMs: ms('timeout'),
    followTimeoutMs: ms('follow-timeout'),
    graceMs: ms('grace'),
    settleMs: ms('settle'),
    admin: adminEmail === undefined ? null : { email: adminEmail, password: adminPassword! },
  };
  // Checked now, so that a bad option is refused before anything is sent.
  resolveOptions(options);
  return options;
}
