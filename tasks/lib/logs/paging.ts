// Polite paging for log APIs: calls spaced by a minimum interval (shared per quota within the process) and jittered back-off on throttling.
import { TRANSIENT_AWS_ERRORS, TransientError, errorName } from '../errors';

export interface PacingOptions {
  /** Minimum time between two calls (LookupEvents allows two per second per account and region). */
  readonly minIntervalMs: number;
  /** Tries of one call before its throttling is reported as a TransientError. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  /**
   * The quota the calls count against (e.g. `cloudtrail:LookupEvents/<account>/<region>`): every pacer of this process with
   * the same key takes its turns from one schedule, so concurrent collectors stay under the quota together instead of
   * colliding and backing off. Without it the pacer spaces only its own calls.
   */
  readonly sharedKey?: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The next free turn of one schedule; a turn is reserved before waiting, so concurrent callers never take the same one. */
interface Schedule {
  next: number;
}

const sharedSchedules = new Map<string, Schedule>();

function scheduleFor(key: string | undefined): Schedule {
  if (key === undefined) return { next: 0 };
  const existing = sharedSchedules.get(key);
  if (existing) return existing;
  const created = { next: 0 };
  sharedSchedules.set(key, created);
  return created;
}

/**
 * Calls `call` no faster than the interval; throttling and 5xx are retried with full-jitter exponential back-off. Separate
 * processes (Lambda invocations) cannot share a schedule, so between them the back-off is what settles the quota.
 */
export function pacer(options: PacingOptions): <T>(call: () => Promise<T>) => Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const schedule = scheduleFor(options.sharedKey);
  async function takeTurn(): Promise<void> {
    const turn = Math.max(now(), schedule.next);
    schedule.next = turn + options.minIntervalMs;
    // A timer may fire a millisecond early; wait again rather than call before the turn.
    for (let wait = turn - now(); wait > 0; wait = turn - now()) await sleep(wait);
  }
  return async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      await takeTurn();
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
