import { BlockList } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setting } from '@emporium/kit';

/** The gateway's settings, beyond the common ones. Each upstream is a comma-separated list of replica URLs. */
export const gatewaySettings = {
  /** The web app's build (web/dist, made by npm run build:web or npm start), served at /. */
  WEB_DIR: setting.string().with(fileURLToPath(new URL('../../../web/dist', import.meta.url))),
  CATALOG_URL: setting.urlList().with(['http://127.0.0.1:8102']),
  INVENTORY_URL: setting.urlList().with(['http://127.0.0.1:8103']),
  CART_URL: setting.urlList().with(['http://127.0.0.1:8104']),
  ORDERS_URL: setting.urlList().with(['http://127.0.0.1:8105']),
  PAYMENTS_URL: setting.urlList().with(['http://127.0.0.1:8106']),
  SHIPPING_URL: setting.urlList().with(['http://127.0.0.1:8107']),
  NOTIFICATIONS_URL: setting.urlList().with(['http://127.0.0.1:8108']),
  RECOMMENDATIONS_URL: setting.urlList().with(['http://127.0.0.1:8109']),
  /** Identity's replicas; IDENTITY_URL (common) stays the JWKS source. */
  IDENTITY_URLS: setting.urlList().optional(),
  UPSTREAM_TIMEOUT_MS: setting.int({ min: 100, max: 120_000 }).with(5_000),
  /** Time allowed between two chunks of a response body; event streams are exempt. */
  UPSTREAM_BODY_TIMEOUT_MS: setting.int({ min: 100, max: 600_000 }).with(30_000),
  /** Event streams (Server-Sent Events) open at once through this replica; each holds a connection to its service. */
  EVENT_STREAMS_MAX: setting.int({ min: 1, max: 100_000 }).with(1_000),
  /** Load shedding: past this event-loop delay (mean over a second, ms) new requests get 503 with Retry-After. */
  SHED_EVENT_LOOP_DELAY_MS: setting.int({ min: 10, max: 60_000 }).with(1_000),
  /** Load shedding: past this many requests in flight (event streams apart) new ones get 503 with Retry-After. */
  SHED_MAX_IN_FLIGHT: setting.int({ min: 1, max: 1_000_000 }).with(2_000),
  /** The Retry-After of a shed request, in seconds. */
  SHED_RETRY_AFTER_SECONDS: setting.int({ min: 1, max: 3_600 }).with(2),
  /** Time allowed for each call behind GET /api/v1/dashboard, headers and body alike. */
  DASHBOARD_TIMEOUT_MS: setting.int({ min: 50, max: 60_000 }).with(1_500),
  /** Requests per minute per client IP, and per signed-in user. */
  RATE_LIMIT_PER_IP: setting.int({ min: 1 }).with(1_200),
  RATE_LIMIT_PER_USER: setting.int({ min: 1 }).with(600),
  /** When set, rate-limit counters live in Redis and are shared by gateway replicas. */
  REDIS_URL: setting.url().optional(),
  /** Largest request body passed on, in bytes. */
  BODY_LIMIT: setting.int({ min: 1024, max: 100 * 1024 * 1024 }).with(1024 * 1024),
  /** Origins allowed by CORS, comma-separated, or * for any. */
  CORS_ORIGINS: setting.string().with('*'),
  /** The load balancers in front of the gateway whose X-Forwarded-For is believed; none by default, as the gateway faces clients. */
  TRUSTED_PROXIES: setting.addressList().with(new BlockList()),
  /** The console: time allowed for each instance's /health/ready or /metrics answer. */
  CONSOLE_PROBE_TIMEOUT_MS: setting.int({ min: 50, max: 30_000 }).with(1_000),
  /** The console's live charts: how often every instance's /metrics is scraped while someone watches. */
  CONSOLE_SAMPLE_MS: setting.int({ min: 100, max: 60_000 }).with(2_000),
  /** How much of the live series the gateway keeps. */
  CONSOLE_WINDOW_MS: setting.int({ min: 1_000, max: 3_600_000 }).with(300_000),
  /** Scraping stops this long after the last request for the live series. */
  CONSOLE_IDLE_MS: setting.int({ min: 1_000, max: 3_600_000 }).with(60_000),
  /**
   * Jaeger's query service (e.g. http://jaeger:16686): when set, the console reads a trace from
   * its HTTP API first, and from the services' in-memory span buffers when Jaeger lacks it.
   */
  JAEGER_URL: setting.url().optional(),
};
