// Bounds how many companies one application's key can have looked up and found not installed, per window.
import { LRUCache } from 'lru-cache';
import type { ThrottleVerdict } from './rate-limiters';

/** Options of the not-installed budget (`notInstalledLimit`). @public */
export interface NotInstalledLimitOptions {
  /**
   * Distinct companies an application may be found not installed in per window, by store lookups; past it,
   * a request naming yet another company that is not in the cache is refused with 429
   * `too_many_not_installed`, without a lookup. Defaults to 30.
   */
  limit: number;
  /** Length of the window in seconds. Defaults to 60. */
  windowSeconds: number;
}

/** Per-application counts of companies found not installed. */
export interface NotInstalledBudget {
  /** The refusal when `applicationId` has used its budget and `companyId` is not one of the companies counted. */
  check(applicationId: string, companyId: string, now: () => number): ThrottleVerdict | null;
  /** Counts a store lookup that found `applicationId` not installed in `companyId`. */
  record(applicationId: string, companyId: string, now: number): void;
}

interface Window {
  readonly endsAt: number;
  readonly companies: Set<string>;
}

/** Applications tracked at most; the least recently counted is forgotten first (only verified keys count). */
const MAX_TRACKED_APPLICATIONS = 10_000;

export const DEFAULT_NOT_INSTALLED_LIMIT: NotInstalledLimitOptions = Object.freeze({ limit: 30, windowSeconds: 60 });

/** Creates the budget, in memory (each instance counts on its own). */
export function createNotInstalledBudget(options: NotInstalledLimitOptions): NotInstalledBudget {
  const { limit, windowSeconds } = options;
  const windows = new LRUCache<string, Window>({ max: MAX_TRACKED_APPLICATIONS });
  const current = (applicationId: string, now: number): Window | undefined => {
    const window = windows.get(applicationId);
    return window !== undefined && window.endsAt > now ? window : undefined;
  };
  return {
    check(applicationId, companyId, now) {
      // Most applications are never counted: one look-up, and no clock read, for them.
      const window = windows.get(applicationId);
      if (window === undefined || window.companies.size < limit || window.companies.has(companyId)) return null;
      const at = now();
      if (!(window.endsAt > at)) return null;
      return { policy: 'application', limit, windowSeconds, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - at) / 1000)) };
    },
    record(applicationId, companyId, now) {
      let window = current(applicationId, now);
      if (window === undefined) windows.set(applicationId, (window = { endsAt: now + windowSeconds * 1000, companies: new Set() }));
      if (window.companies.size < limit) window.companies.add(companyId);
    },
  };
}
