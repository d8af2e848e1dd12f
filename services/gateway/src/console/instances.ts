/**
 * A GET against one instance: its status and body text. Rejects when the instance does not
 * answer. `headers` replace the fetcher's own (an admin's Authorization instead of the scrape token).
 */
export type Fetcher = (path: string, headers?: Record<string, string>) => Promise<{ status: number; text: string }>;

/** One running copy of a service, as the console sees it. */
export interface Instance {
  service: string;
  /** Its base URL, as the gateway's settings name it. */
  url: string;
  fetch: Fetcher;
}

/**
 * GETs over HTTP from `baseUrl`, giving up after `timeoutMs` for headers and body together.
 * `token` is the scrape token that /metrics asks for.
 */
export function httpFetcher(baseUrl: string, timeoutMs: number, token?: string): Fetcher {
  const base = baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json, text/plain', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return async (path, extra) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs), headers: { ...headers, ...extra } });
    return { status: res.status, text: await res.text() };
  };
}

/** The health of one instance, from its `/health/ready`. */
export interface InstanceHealth {
  url: string;
  /** ok: ready; failing: it answered, but not ready; down: no answer in time. */
  status: 'ok' | 'failing' | 'down';
  /** Time to its answer; null when it did not answer. */
  latencyMs: number | null;
  /** The readiness checks that failed, with their errors. */
  failing: Array<{ check: string; error: string }>;
  /** Why it is not ok, in a few words; null when it is. */
  error: string | null;
}

/** A readiness answer, as the kit's /health/ready sends it (200) or its problem (503). */
interface ReadyBody {
  detail?: string;
  checks?: Record<string, { status?: string; error?: string }>;
}

/** Asks one instance whether it is ready; never rejects: an instance that does not answer is `down`. */
export async function checkInstance(instance: Instance, timeoutMs: number): Promise<InstanceHealth> {
  const started = performance.now();
  let answer: { status: number; text: string };
  try {
    answer = await instance.fetch('/health/ready');
  } catch (err) {
    return { url: instance.url, status: 'down', latencyMs: null, failing: [], error: whyDown(err, timeoutMs) };
  }
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  let body: ReadyBody = {};
  try {
    body = JSON.parse(answer.text) as ReadyBody;
  } catch {
    // An answer that is not JSON still tells its status.
  }
  const failing = Object.entries(body.checks ?? {})
    .filter(([, check]) => check.status !== 'ok')
    .map(([check, result]) => ({ check, error: result.error ?? result.status ?? 'failing' }));
  if (answer.status === 200) return { url: instance.url, status: 'ok', latencyMs, failing: [], error: null };
  const error = body.detail ?? (failing.length ? `Failing: ${failing.map((f) => f.check).join(', ')}.` : `answered ${answer.status}`);
  return { url: instance.url, status: 'failing', latencyMs, failing, error };
}

/** A service's status from its instances': ok when all are, down when none is, degraded between. */
export function serviceStatus(instances: readonly Pick<InstanceHealth, 'status'>[]): 'ok' | 'degraded' | 'down' {
  const ok = instances.filter((i) => i.status === 'ok').length;
  if (ok === instances.length && ok > 0) return 'ok';
  return ok === 0 ? 'down' : 'degraded';
}

/** Why a request got no answer, in a few words. */
export function whyDown(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (e.cause?.code) return `not reachable (${e.cause.code})`;
  return e.cause?.message ?? e.message ?? 'not reachable';
}
