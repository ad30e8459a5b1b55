// Fixed-window counters in memory, at most `maxKeys` of them: past that, the least recently used go first.

/** A counter in its current window. */
export interface CounterState {
  /** Points counted in the current window. */
  readonly consumed: number;
  /** Milliseconds until the window ends. */
  readonly msBeforeNext: number;
}

// A counter is also a link in the recency list: newest at the head, oldest at the tail.
interface Window {
  readonly key: string;
  count: number;
  endsAt: number;
  older: Window | null;
  newer: Window | null;
}

/**
 * Counters keyed by what callers send (addresses, ids), so their number must not depend on the caller:
 * past `maxKeys`, the least recently used is dropped. A forgotten counter starts again from zero, which
 * is the price of the bound (see docs/security.md). The recency order is a linked list rather than the
 * Map's insertion order: taking the first key of a Map that is emptied from the front costs a scan over
 * the deleted slots, which made a million evictions take 40 seconds instead of a fraction of one.
 */
export class BoundedWindowCounters {
  readonly #windows = new Map<string, Window>();
  #newest: Window | null = null;
  #oldest: Window | null = null;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(windowMs: number, maxKeys: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /** How many counters are held. */
  get size(): number {
    return this.#windows.size;
  }

  /** The counter of `key`, or null when it has none in the current window. */
  get(key: string): CounterState | null {
    const now = this.#now();
    const window = this.#use(key, now);
    return window === undefined ? null : { consumed: window.count, msBeforeNext: window.endsAt - now };
  }

  /** Adds `points` to the counter of `key`, opening a window when it has none. */
  add(key: string, points: number): CounterState {
    const now = this.#now();
    let window = this.#use(key, now);
    if (window === undefined) {
      window = { key, count: 0, endsAt: now + this.#windowMs, older: null, newer: null };
      this.#windows.set(key, window);
      this.#link(window);
      if (this.#windows.size > this.#maxKeys && this.#oldest !== null) this.#drop(this.#oldest);
    }
    window.count += points;
    return { consumed: window.count, msBeforeNext: window.endsAt - now };
  }

  // Moves a live window to the newest end; drops one whose time is up.
  #use(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    if (window === undefined) return undefined;
    if (window.endsAt <= now) {
      this.#drop(window);
      return undefined;
    }
    if (window !== this.#newest) {
      this.#unlink(window);
      this.#link(window);
    }
    return window;
  }

  #link(window: Window): void {
    window.older = this.#newest;
    window.newer = null;
    if (this.#newest !== null) this.#newest.newer = window;
    this.#newest = window;
    this.#oldest ??= window;
  }

  #unlink(window: Window): void {
    if (window.older === null) this.#oldest = window.newer;
    else window.older.newer = window.newer;
    if (window.newer === null) this.#newest = window.older;
    else window.newer.older = window.older;
    window.older = null;
    window.newer = null;
  }

  #drop(window: Window): void {
    this.#unlink(window);
    this.#windows.delete(window.key);
  }
}
