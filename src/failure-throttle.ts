// Throttles failed authentication per client network and per public id, in memory or shared through Redis.
import type Redis from 'ioredis';
import { idCounterKey, ipCounterKey } from './counter-keys';
import { checkWholeNumbers, createLimiter, secondsUntil, type ThrottleVerdict } from './rate-limiters';

export type { ThrottleVerdict } from './rate-limiters';

/** Throttling settings. @public */
export interface ThrottleOptions {
  /** Failed attempts allowed per client IP (IPv6: per /64) and window. Defaults to 100. */
  failureLimit: number;
  /** Failed attempts allowed per public id (from any IP) and window. Defaults to 300. */
  publicIdFailureLimit: number;
  /** Window length in seconds (fixed windows). Defaults to 60. */
  failureWindowSeconds: number;
  /** An ioredis client to share counters between instances; counters stay in memory without it. */
  redis?: Redis;
  /** Prefix of the Redis keys, to share one Redis between deployments. Defaults to `twake-app-auth`. */
  keyPrefix?: string;
}

/** The throttle the validator consults before querying the store, and feeds after each failure. */
export interface FailureThrottle {
  /** Null when the request may proceed; otherwise why not. */
  check(ip: string, publicId: string | null): Promise<ThrottleVerdict | null>;
  /** Counts one failed authentication. */
  recordFailure(ip: string, publicId: string | null): Promise<void>;
}

export const DEFAULT_THROTTLE: Readonly<Omit<ThrottleOptions, 'redis' | 'keyPrefix'>> = Object.freeze({
  failureLimit: 100,
  publicIdFailureLimit: 300,
  failureWindowSeconds: 60,
});

/**
 * Creates the throttle. Client addresses are counted by network, and anything that is not an IP address
 * in one shared counter; public ids are counted by hash, so no caller-chosen string is kept or sent to Redis.
 */
export function createFailureThrottle(options: Partial<ThrottleOptions> = {}): FailureThrottle {
  const settings = { ...DEFAULT_THROTTLE, ...options };
  const { failureLimit, publicIdFailureLimit, failureWindowSeconds } = settings;
  checkWholeNumbers('throttle', { failureLimit, publicIdFailureLimit, failureWindowSeconds });
  const window = failureWindowSeconds;
  const keyPrefix = settings.keyPrefix ?? 'twake-app-auth';
  const byIp = createLimiter('fail-ip', failureLimit, window, settings.redis, keyPrefix);
  const byPublicId = createLimiter('fail-app', publicIdFailureLimit, window, settings.redis, keyPrefix);

  return {
    async check(ip, publicId) {
      const [ipState, appState] = await Promise.all([byIp.get(ipCounterKey(ip)), publicId === null ? null : byPublicId.get(idCounterKey(publicId))]);
      if (ipState !== null && ipState.consumedPoints >= failureLimit) {
        return { policy: 'ip', limit: failureLimit, windowSeconds: window, retryAfterSeconds: secondsUntil(ipState, window) };
      }
      if (appState !== null && appState.consumedPoints >= publicIdFailureLimit) {
        return { policy: 'public_id', limit: publicIdFailureLimit, windowSeconds: window, retryAfterSeconds: secondsUntil(appState, window) };
      }
      return null;
    },
    async recordFailure(ip, publicId) {
      await Promise.all([byIp.penalty(ipCounterKey(ip), 1), publicId === null ? null : byPublicId.penalty(idCounterKey(publicId), 1)]);
    },
  };
}
