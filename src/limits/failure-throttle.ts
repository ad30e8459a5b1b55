// Throttles failed authentication per client network and per public id, in bounded memory or shared through Redis.
import { idCounterKey, ipCounterKey } from './counter-keys';
import { checkWholeNumbers, createCounters, secondsUntil, type CounterOptions, type ThrottleVerdict } from './rate-limiters';
import type { RedisCounterState } from './redis-health';

export type { ThrottleVerdict } from './rate-limiters';

/** Throttling settings. @public */
export interface ThrottleOptions extends CounterOptions {
  /** Failed attempts allowed per client IP (IPv6: per /64) and window. Defaults to 100. */
  failureLimit: number;
  /** Failed attempts allowed per public id (from any IP) and window. Defaults to 300. */
  publicIdFailureLimit: number;
  /** Window length in seconds (fixed windows). Defaults to 60. */
  failureWindowSeconds: number;
}

/** The throttle the validator consults before querying the store, and feeds after each failure. */
export interface FailureThrottle {
  /** Null when the request may proceed; otherwise why not. */
  check(ip: string, publicId: string | null): Promise<ThrottleVerdict | null>;
  /** Counts one failed authentication. */
  recordFailure(ip: string, publicId: string | null): Promise<void>;
  /** Whether Redis answers the counters now; null when they are in memory only (optional, read by `/readyz`). */
  redisState?(): Promise<RedisCounterState | null>;
}

export const DEFAULT_THROTTLE: Readonly<Pick<ThrottleOptions, 'failureLimit' | 'publicIdFailureLimit' | 'failureWindowSeconds'>> = Object.freeze({
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
  const byIp = createCounters('throttle', 'fail-ip', window, settings);
  const byPublicId = createCounters('throttle', 'fail-app', window, settings);

  return {
    async check(ip, publicId) {
      const [ipState, appState] = await Promise.all([byIp.get(ipCounterKey(ip)), publicId === null ? null : byPublicId.get(idCounterKey(publicId))]);
      if (ipState !== null && ipState.consumed >= failureLimit) {
        return { policy: 'ip', limit: failureLimit, windowSeconds: window, retryAfterSeconds: secondsUntil(ipState, window) };
      }
      if (appState !== null && appState.consumed >= publicIdFailureLimit) {
        return { policy: 'public_id', limit: publicIdFailureLimit, windowSeconds: window, retryAfterSeconds: secondsUntil(appState, window) };
      }
      return null;
    },
    async recordFailure(ip, publicId) {
      await Promise.all([byIp.add(ipCounterKey(ip), 1), publicId === null ? null : byPublicId.add(idCounterKey(publicId), 1)]);
    },
    // Both counter sets use the same client: one answer holds for both.
    redisState: () => byIp.redisState(),
  };
}
