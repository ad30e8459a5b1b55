// Limits how many requests each application may make per window (off unless asked for).
import { idCounterKey } from './counter-keys';
import { checkWholeNumbers, createCounters, secondsUntil, type CounterOptions, type ThrottleVerdict } from './rate-limiters';
import type { RedisCounterState } from './redis-health';

/** Per-application request limit settings. @public */
export interface RequestLimitOptions extends CounterOptions {
  /** Requests each application may make per window, successful or not once authenticated. Required. */
  limit: number;
  /** Window length in seconds (fixed windows). Defaults to 60. */
  windowSeconds?: number;
}

/** Counts each authenticated request against its application's budget. @public */
export interface RequestLimiter {
  /** Counts one request; null while the application is within its limit, otherwise why not. */
  consume(applicationId: string): Promise<ThrottleVerdict | null>;
  /** Whether Redis answers the counters now; null when they are in memory only (optional, read by `/readyz`). */
  redisState?(): Promise<RedisCounterState | null>;
}

/** Creates a per-application request limiter; applications are counted by hash of their id. @public */
export function createRequestLimiter(options: RequestLimitOptions): RequestLimiter {
  const limit = options.limit;
  const windowSeconds = options.windowSeconds ?? 60;
  checkWholeNumbers('requestLimit', { limit, windowSeconds });
  const counters = createCounters('requestLimit', 'requests-app', windowSeconds, options);
  return {
    async consume(applicationId) {
      const state = await counters.add(idCounterKey(applicationId), 1);
      if (state.consumed <= limit) return null;
      return { policy: 'application', limit, windowSeconds, retryAfterSeconds: secondsUntil(state, windowSeconds) };
    },
    redisState: () => counters.redisState(),
  };
}
