// Limits how many requests each application may make per window (off unless asked for).
import type Redis from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { idCounterKey } from './counter-keys';
import { checkWholeNumbers, createLimiter, secondsUntil, type ThrottleVerdict } from './rate-limiters';

/** Per-application request limit settings. @public */
export interface RequestLimitOptions {
  /** Requests each application may make per window, successful or not once authenticated. Required. */
  limit: number;
  /** Window length in seconds (fixed windows). Defaults to 60. */
  windowSeconds?: number;
  /** An ioredis client to share counters between instances; counters stay in memory without it. */
  redis?: Redis;
  /** Prefix of the Redis keys, to share one Redis between deployments. Defaults to `twake-app-auth`. */
  keyPrefix?: string;
}

/** Counts each authenticated request against its application's budget. @public */
export interface RequestLimiter {
  /** Counts one request; null while the application is within its limit, otherwise why not. */
  consume(applicationId: string): Promise<ThrottleVerdict | null>;
}

/** Creates a per-application request limiter; applications are counted by hash of their id. @public */
export function createRequestLimiter(options: RequestLimitOptions): RequestLimiter {
  const limit = options.limit;
  const windowSeconds = options.windowSeconds ?? 60;
  checkWholeNumbers('requestLimit', { limit, windowSeconds });
  const counters = createLimiter('requests-app', limit, windowSeconds, options.redis, options.keyPrefix ?? 'twake-app-auth');
  return {
    async consume(applicationId) {
      try {
        await counters.consume(idCounterKey(applicationId), 1);
        return null;
      } catch (rejection) {
        // rate-limiter-flexible rejects with the counter state when the budget is spent, with an Error otherwise.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { policy: 'application', limit, windowSeconds, retryAfterSeconds: secondsUntil(rejection, windowSeconds) };
      }
    },
  };
}
