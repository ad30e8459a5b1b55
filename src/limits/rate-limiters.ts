// Builds the fixed-window counters behind throttling and request limits: bounded memory, or Redis within a deadline.
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { redisHealthOf, withDeadline, type RedisClient, type RedisCounterState, type RedisStateChange } from './redis-health';
import { BoundedWindowCounters, type CounterState } from './window-counters';

export type { CounterState } from './window-counters';

/** Why a request is held back, with what the 429 headers need. */
export interface ThrottleVerdict {
  readonly policy: 'ip' | 'public_id' | 'application';
  readonly limit: number;
  readonly windowSeconds: number;
  readonly retryAfterSeconds: number;
}

/** Where counters live and how long they may wait for Redis; shared by the throttle and the request limit. @public */
export interface CounterOptions {
  /** An ioredis client to share counters between instances; counters stay in memory without it. */
  redis?: RedisClient;
  /** Prefix of the Redis keys, to share one Redis between deployments. Defaults to `twake-app-auth`. */
  keyPrefix?: string;
  /**
   * Most counters held in memory per counter set (client networks, public ids, applications); past it the
   * least recently used are forgotten. Defaults to 100,000 (14 to 24 MiB per full set, see docs/security.md).
   */
  maxTrackedKeys?: number;
  /** Milliseconds a counter may wait for Redis before counting in memory instead. Defaults to 50. */
  redisTimeoutMs?: number;
  /** Told once when Redis stops answering the counters in time, and once when it answers again. */
  onRedisStateChange?: (change: RedisStateChange) => void;
}

export const DEFAULT_COUNTERS = Object.freeze({ keyPrefix: 'twake-app-auth', maxTrackedKeys: 100_000, redisTimeoutMs: 50 });

/** Counters of one kind (`name`), in one fixed window length. */
export interface WindowCounters {
  /** The counter of `key` in its current window, or null when it has none. */
  get(key: string): Promise<CounterState | null>;
  /** Adds `points` to the counter of `key`. */
  add(key: string, points: number): Promise<CounterState>;
  /** Whether Redis answers now (asked within the deadline); null when the counters are in memory only. */
  redisState(): Promise<RedisCounterState | null>;
}

/** Checks the shared settings and fills in their defaults. */
export function counterSettings(what: string, options: CounterOptions): Required<Pick<CounterOptions, 'keyPrefix' | 'maxTrackedKeys' | 'redisTimeoutMs'>> {
  const settings = {
    keyPrefix: options.keyPrefix ?? DEFAULT_COUNTERS.keyPrefix,
    maxTrackedKeys: options.maxTrackedKeys ?? DEFAULT_COUNTERS.maxTrackedKeys,
    redisTimeoutMs: options.redisTimeoutMs ?? DEFAULT_COUNTERS.redisTimeoutMs,
  };
  checkWholeNumbers(what, { maxTrackedKeys: settings.maxTrackedKeys, redisTimeoutMs: settings.redisTimeoutMs });
  return settings;
}

/**
 * Fixed-window counters named `name`, shared through `options.redis` when given. Every Redis call is
 * bounded by `redisTimeoutMs`, whatever the client's own settings; when Redis fails or is late, the
 * call is counted in this instance's memory instead (see docs/security.md), and Redis is left alone
 * until a background probe finds it answering again.
 */
export function createCounters(what: string, name: string, windowSeconds: number, options: CounterOptions): WindowCounters {
  const { keyPrefix, maxTrackedKeys, redisTimeoutMs } = counterSettings(what, options);
  const memory = new BoundedWindowCounters(windowSeconds * 1000, maxTrackedKeys);
  const redis = options.redis;
  if (redis === undefined) {
    return {
      get: async (key) => memory.get(key),
      add: async (key, points) => memory.add(key, points),
      redisState: async () => null,
    };
  }

  const health = redisHealthOf(redis);
  if (options.onRedisStateChange !== undefined) health.listen(options.onRedisStateChange);
  // `points` only shapes results this module does not read: limits are compared by the callers. A client
  // with an offline queue may hold a call while it connects: the deadline bounds that wait too.
  const shared = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${name}`, points: 1, duration: windowSeconds });

  async function attempt(work: () => Promise<CounterState>, fallback: () => CounterState): Promise<CounterState>;
  async function attempt(work: () => Promise<CounterState | null>, fallback: () => CounterState | null): Promise<CounterState | null>;
  async function attempt(work: () => Promise<CounterState | null>, fallback: () => CounterState | null): Promise<CounterState | null> {
    if (!health.usable(redisTimeoutMs)) return fallback();
    try {
      const state = await withDeadline(work(), redisTimeoutMs);
      health.succeeded();
      return state;
    } catch (error) {
      health.failed(error instanceof Error ? error : new Error(String(error)));
      return fallback();
    }
  }

  return {
    get: (key) =>
      attempt(
        async () => {
          const result = await shared.get(key);
          return result === null ? null : { consumed: result.consumedPoints, msBeforeNext: result.msBeforeNext };
        },
        () => memory.get(key),
      ),
    add: (key, points) =>
      attempt(
        async () => {
          const result = await shared.penalty(key, points);
          return { consumed: result.consumedPoints, msBeforeNext: result.msBeforeNext };
        },
        () => memory.add(key, points),
      ),
    redisState: () => health.probe(redisTimeoutMs),
  };
}

/** Whole seconds until the window of `state` ends (at least 1). */
export function secondsUntil(state: CounterState | null, windowSeconds: number): number {
  return Math.max(1, Math.ceil((state?.msBeforeNext ?? windowSeconds * 1000) / 1000));
}

/** Throws a TypeError unless every named setting is a whole number, 1 or more. */
export function checkWholeNumbers(what: string, settings: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`twake-app-auth: ${what} ${name} must be a whole number, 1 or more.`);
  }
}
