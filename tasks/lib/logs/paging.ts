// Polite paging for log APIs: a minimum interval between calls and jittered back-off on throttling.
import { TRANSIENT_AWS_ERRORS, TransientError, errorName } from '../errors';

export interface PacingOptions {
  /** Minimum time between two calls (LookupEvents allows two per second per account and region). */
  readonly minIntervalMs: number;
  /** Tries of one call before its throttling is reported as a TransientError. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `call` no faster than the interval; throttling and 5xx are retried with full-jitter exponential back-off. */
export function pacer(options: PacingOptions): <T>(call: () => Promise<T>) => Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  let last = 0;
  return async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      const wait = last + options.minIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      last = Date.now();
      try {
        return await call();
      } catch (error) {
        if (!TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
        if (attempt >= options.maxAttempts) {
          throw new TransientError(
            `still throttled after ${attempt} tries`,
            { error: errorName(error) },
            { cause: error },
          );
        }
        // "Exponential Backoff And Jitter" (AWS Architecture Blog): full jitter spreads retries of concurrent collectors.
        await sleep(Math.random() * options.backoffBaseMs * 2 ** attempt);
      }
    }
  };
}
