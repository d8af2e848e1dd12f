/** The longest wait between two attempts of a provider call. */
export const MAX_RETRY_DELAY_MS = 60_000;

/**
 * The wait before attempt `attempt + 1`: `baseMs` doubled for each attempt so far, capped at a
 * minute, then jittered down to half at random so that calls failed together do not retry together.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}
