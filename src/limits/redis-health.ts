// Whether a Redis client answers the counters, tracked once per client for every counter set using it.

/**
 * An ioredis client, typed by the members used here (and passed as it is to rate-limiter-flexible), so
 * that compiling against this package needs no ioredis types. @public
 */
export interface RedisClient {
  readonly status: string;
  ping(): Promise<unknown>;
}

/** `ok` while Redis answers the counters in time; `degraded` while each instance counts on its own. @public */
export type RedisCounterState = 'ok' | 'degraded';

/** A change of {@link RedisCounterState}, told once when an outage starts and once when it ends. @public */
export type RedisStateChange =
  | { readonly state: 'degraded'; readonly error: Error }
  | { readonly state: 'ok'; readonly outageMs: number };

/** While degraded, Redis is asked again at most this often, in the background, never on a request's path. */
const RECHECK_MS = 1000;
/**
 * An outage is told over only once Redis has kept answering this long. A Redis that answers PING but
 * refuses writes (full memory) would otherwise be told down and up again every second.
 */
const QUIET_MS = 3000;

/** Rejects with this when Redis has not answered within the deadline. */
export class RedisDeadlineError extends Error {
  constructor(ms: number) {
    super(`redis did not answer within ${ms} ms`);
    this.name = 'RedisDeadlineError';
  }
}

/**
 * `work`, or a {@link RedisDeadlineError} after `ms`. The rejection waits for one more turn of the event
 * loop so that a reply already received, but not yet read because the process was busy, still wins.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new RedisDeadlineError(ms))), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** One client's state, shared by the throttle and the request limiter so that an outage is told once. */
export class RedisHealth {
  #state: RedisCounterState = 'ok';
  #degradedAt = 0;
  #lastProbeAt = 0;
  #probe: Promise<RedisCounterState> | null = null;
  // Pending while Redis answers again but the outage has not been told over yet.
  #recovery: NodeJS.Timeout | null = null;
  readonly #redis: RedisClient;
  readonly #recheckMs: number;
  readonly #quietMs: number;
  // A Set, so that one listener given to several counter sets on this client hears each change once.
  readonly #listeners = new Set<(change: RedisStateChange) => void>();

  constructor(redis: RedisClient, timing: { recheckMs?: number; quietMs?: number } = {}) {
    this.#redis = redis;
    this.#recheckMs = timing.recheckMs ?? RECHECK_MS;
    this.#quietMs = timing.quietMs ?? QUIET_MS;
  }

  get state(): RedisCounterState {
    return this.#state;
  }

  listen(listener: (change: RedisStateChange) => void): void {
    this.#listeners.add(listener);
  }

  /** Whether to ask Redis now. While degraded: no, but a background probe is started now and then. */
  usable(timeoutMs: number): boolean {
    if (this.#state === 'ok') return true;
    if (Date.now() - this.#lastProbeAt >= this.#recheckMs) void this.probe(timeoutMs);
    return false;
  }

  succeeded(): void {
    if (this.#state === 'ok') return;
    this.#state = 'ok';
    this.#recovery = setTimeout(() => {
      this.#recovery = null;
      this.#tell({ state: 'ok', outageMs: Date.now() - this.#degradedAt });
    }, this.#quietMs);
    this.#recovery.unref();
  }

  failed(error: Error): void {
    if (this.#state === 'degraded') return;
    this.#state = 'degraded';
    this.#lastProbeAt = Date.now();
    if (this.#recovery !== null) {
      // Down again before the outage was told over: the same outage, already told.
      clearTimeout(this.#recovery);
      this.#recovery = null;
      return;
    }
    this.#degradedAt = this.#lastProbeAt;
    this.#tell({ state: 'degraded', error });
  }

  /** Asks Redis now (PING, within the deadline) and resolves the state that follows. */
  probe(timeoutMs: number): Promise<RedisCounterState> {
    this.#probe ??= this.#ping(timeoutMs).finally(() => {
      this.#probe = null;
    });
    return this.#probe;
  }

  async #ping(timeoutMs: number): Promise<RedisCounterState> {
    this.#lastProbeAt = Date.now();
    try {
      // Without an offline queue a disconnected client fails at once; with one, it would wait: do not.
      if (this.#redis.status !== 'ready') throw new Error(`redis connection is ${this.#redis.status}`);
      await withDeadline(this.#redis.ping(), timeoutMs);
      this.succeeded();
    } catch (error) {
      this.failed(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#state;
  }

  #tell(change: RedisStateChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not change how requests are counted.
      }
    }
  }
}

const healthOfClient = new WeakMap<RedisClient, RedisHealth>();

/** The state of `redis`, the same object for every caller. */
export function redisHealthOf(redis: RedisClient): RedisHealth {
  let health = healthOfClient.get(redis);
  if (health === undefined) {
    health = new RedisHealth(redis);
    healthOfClient.set(redis, health);
  }
  return health;
}
