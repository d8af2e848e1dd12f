import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from './api.ts';

/** A GET's state: its data, its error, whether it is loading, and how to load it again. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (null: nothing yet) and follows it as it changes; `refreshMs` reloads it on a timer. */
export function useApi<T>(path: string | null, opts: { refreshMs?: number } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const first = useRef(true);

  useEffect(() => {
    first.current = true;
  }, [path]);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    if (first.current) setLoading(true);
    api<T>(path, { signal: controller.signal })
      .then((body) => {
        setData(body);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(err as ApiError);
      })
      .finally(() => {
        if (!controller.signal.aborted) {
          setLoading(false);
          first.current = false;
        }
      });
    return () => controller.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!opts.refreshMs || path === null) return;
    const timer = setInterval(() => setTick((t) => t + 1), opts.refreshMs);
    return () => clearInterval(timer);
  }, [opts.refreshMs, path]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
