// Wraps an ApplicationStore with a bounded, expiring cache of positive and negative answers.
import type { ApplicationRecord, ApplicationStore } from '../types';

/** Options of {@link createCachedStore}. @public */
export interface CacheOptions {
  /** Most (application, company) answers kept; the least recently used goes first. Defaults to 10000. */
  maxEntries: number;
  /** How long an answer is reused, in milliseconds. Defaults to 1000. */
  ttlMs: number;
  /** Clock, for tests. Defaults to `Date.now`. */
  now: () => number;
}

/** An {@link ApplicationStore} with a cache that can be emptied when data changes. @public */
export interface CachedStore extends ApplicationStore {
  /** Forgets every answer about one public id (call it after changing that application). */
  invalidate(publicId: string): void;
  /** Forgets everything. */
  clear(): void;
  /** While bypassed, every lookup goes to the wrapped store and nothing is cached. */
  setBypass(bypass: boolean): void;
  /** Number of answers held. */
  readonly size: number;
}

interface Entry {
  record: ApplicationRecord | null;
  expiresAt: number;
  publicId: string;
}

const SEPARATOR = '\u0000';

/**
 * Caches lookups by (public id, company), including "no such application" (negative answers), each for
 * `ttlMs` at most. The key check still runs on every request: only the lookup is cached.
 *
 * @public
 */
export function createCachedStore(store: ApplicationStore, options: Partial<CacheOptions> = {}): CachedStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 1000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('twake-app-auth: cache maxEntries must be a whole number, 1 or more.');
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new TypeError('twake-app-auth: cache ttlMs must be a number of milliseconds, 0 or more.');

  // Map order is insertion order: re-inserting on a hit keeps the least recently used first.
  const entries = new Map<string, Entry>();
  const keysByPublicId = new Map<string, Set<string>>();
  // Bumped by every invalidation, so that a lookup started before it does not cache a stale answer.
  const generations = new Map<string, number>();
  let globalGeneration = 0;
  let bypass = false;

  function forget(key: string, entry: Entry): void {
    entries.delete(key);
    const keys = keysByPublicId.get(entry.publicId);
    keys?.delete(key);
    if (keys?.size === 0) keysByPublicId.delete(entry.publicId);
  }

  function remember(key: string, publicId: string, record: ApplicationRecord | null): void {
    const existing = entries.get(key);
    if (existing !== undefined) forget(key, existing);
    while (entries.size >= maxEntries) {
      const oldest = entries.entries().next().value;
      if (oldest === undefined) break;
      forget(oldest[0], oldest[1]);
    }
    entries.set(key, { record, publicId, expiresAt: now() + ttlMs });
    let keys = keysByPublicId.get(publicId);
    if (keys === undefined) keysByPublicId.set(publicId, (keys = new Set()));
    keys.add(key);
  }

  const generationOf = (publicId: string) => `${globalGeneration}:${generations.get(publicId) ?? 0}`;

  async function fetchAndRemember(key: string, publicId: string, companyId: string | null): Promise<ApplicationRecord | null> {
    const generation = generationOf(publicId);
    const record = await store.findApplication(publicId, companyId);
    if (!bypass && generation === generationOf(publicId)) remember(key, publicId, record);
    return record;
  }

  return {
    // A hit is answered synchronously: see lookUp in decide.ts for why that matters to timing.
    findApplication(publicId, companyId) {
      if (bypass || ttlMs === 0) return store.findApplication(publicId, companyId);
      const key = publicId + SEPARATOR + (companyId ?? '');
      const hit = entries.get(key);
      if (hit !== undefined) {
        if (hit.expiresAt > now()) {
          entries.delete(key);
          entries.set(key, hit);
          return hit.record;
        }
        forget(key, hit);
      }
      return fetchAndRemember(key, publicId, companyId);
    },
    invalidate(publicId) {
      // Keep the generation map bounded: starting a new global generation has the same effect.
      if (generations.size >= maxEntries) {
        generations.clear();
        globalGeneration += 1;
      }
      generations.set(publicId, (generations.get(publicId) ?? 0) + 1);
      for (const key of keysByPublicId.get(publicId) ?? []) entries.delete(key);
      keysByPublicId.delete(publicId);
    },
    clear() {
      globalGeneration += 1;
      generations.clear();
      entries.clear();
      keysByPublicId.clear();
    },
    setBypass(value) {
      bypass = value;
      if (value) this.clear();
    },
    get size() {
      return entries.size;
    },
    revokeKey:
      store.revokeKey === undefined
        ? undefined
        : async function (this: CachedStore, applicationId: string, keyId: string) {
            await (store.revokeKey as (applicationId: string, keyId: string) => Promise<void>)(applicationId, keyId);
            // Every cached answer holding that key must go; they are indexed by public id, so forget all.
            this.clear();
          },
    close: store.close === undefined ? undefined : () => (store.close as () => Promise<void>)(),
  };
}
