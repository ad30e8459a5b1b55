// Builds the rate-limiter-flexible counters behind throttling and request limits, in memory or in Redis.
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';

/** Why a request is held back, with what the 429 headers need. */
export interface ThrottleVerdict {
  readonly policy: 'ip' | 'public_id' | 'application';
  readonly limit: number;
  readonly windowSeconds: number;
  readonly retryAfterSeconds: number;
}

/** Fixed-window counters named `name`; shared through `redis` when given. */
export function createLimiter(name: string, points: number, duration: number, redis: Redis | undefined, keyPrefix: string): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
  if (redis === undefined) return memory;
  // When Redis does not answer, each instance falls back to its own memory counters (see docs/security.md).
  return new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${name}`, points, duration, insuranceLimiter: memory });
}

/** Whole seconds until the window of `result` ends (at least 1). */
export function secondsUntil(result: RateLimiterRes | null, windowSeconds: number): number {
  return Math.max(1, Math.ceil((result?.msBeforeNext ?? windowSeconds * 1000) / 1000));
}

/** Throws a TypeError unless every named setting is a whole number, 1 or more. */
export function checkWholeNumbers(what: string, settings: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`twake-app-auth: ${what} ${name} must be a whole number, 1 or more.`);
  }
}
