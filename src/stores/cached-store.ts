// Wraps an ApplicationStore with bounded, expiring caches: applications by public id, installations by company.
import { LRUCache } from 'lru-cache';
import { grantsOf } from '../core/grants';
import type { ApplicationRecord, ApplicationStore, Grants, HeldApplication, LoadedApplication } from '../core/types';

/** Options of {@link createCachedStore}. @public */
export interface CacheOptions {
  /**
   * Most applications kept, most unknown public ids kept, and most (application, company) installations
   * kept, each set on its own; the least recently used goes first. Defaults to 10000.
   */
  maxEntries: number;
  /** How long an answer is reused, in milliseconds. Defaults to 1000. */
  ttlMs: number;
  /** Clock, for tests. Defaults to `Date.now`. */
  now: () => number;
}

/** An {@link ApplicationStore} with a cache that can be emptied when data changes. @public */
export interface CachedStore extends ApplicationStore {
  /**
   * Forgets every answer about one public id (call it after changing that application). The application
   * itself is kept, marked stale: it is never used to let a request through again, only to tell that a
   * key it accepted deserves a lookup even from a client over its failure budget.
   */
  invalidate(publicId: string): void;
  /** Forgets everything, keeping the applications held marked stale, as {@link CachedStore.invalidate} does. */
  clear(): void;
  /**
   * Looks up applications not held yet and holds them, marked stale, so that their correct keys are
   * vouched for from the first request (see `peekApplication`): call it at start-up with the public ids
   * in use. Stops at `maxEntries`. Resolves how many applications were found.
   */
  warm(publicIds: Iterable<string>): Promise<number>;
  /** Holds an application whose key was just verified, stale, where lookups of other public ids cannot evict it. */
  holdVerified(record: ApplicationRecord): void;
  /** While bypassed, every lookup goes to the wrapped store and nothing is cached. */
  setBypass(bypass: boolean): void;
  /** Number of answers held (applications, unknown public ids and installations). */
  readonly size: number;
  /** Counts since creation, for metrics. */
  readonly stats: CacheStats;
  peekApplication(publicId: string): HeldApplication | undefined;
  loadApplication(publicId: string, companyId: string | null): Promise<LoadedApplication>;
  findInstallation(publicId: string, companyId: string): Grants | null | Promise<Grants | null>;
  peekInstallation(publicId: string, companyId: string): Grants | null | undefined;
}

/** Look-ups answered from memory (`hits`) or sent to the wrapped store (`misses`), and entries evicted by the size bound. @public */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

interface Entry {
  record: ApplicationRecord | null;
  expiresAt: number;
  // What peekApplication answers, built once per entry rather than on every request.
  whileFresh: HeldApplication;
  onceExpired: HeldApplication;
}

function entryOf(record: ApplicationRecord | null, expiresAt: number): Entry {
  return { record, expiresAt, whileFresh: Object.freeze({ record, fresh: true }), onceExpired: Object.freeze({ record, fresh: false }) };
}

// Expired whatever the clock says.
const staleEntryOf = (record: ApplicationRecord): Entry => entryOf(record, Number.NEGATIVE_INFINITY);

/** Lookups sent at once while warming (the PostgreSQL driver store batches them). */
const WARM_BATCH = 100;

const SEPARATOR = '\u0000';

/**
 * Caches applications by public id (their keys and enabled flag, or "no such application") and
 * installations by (public id, company), each for `ttlMs` at most and each bounded by `maxEntries`.
 * Keyed this way, the validator can check a key from memory before it asks about a company, so a caller
 * without the key cannot make it query the database with new companies. The key check still runs on
 * every request: only lookups are cached.
 *
 * @public
 */
export function createCachedStore(store: ApplicationStore, options: Partial<CacheOptions> = {}): CachedStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 1000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('twake-app-auth: cache maxEntries must be a whole number, 1 or more.');
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new TypeError('twake-app-auth: cache ttlMs must be a number of milliseconds, 0 or more.');

  // Expired applications stay until evicted: the validator may check a key against one to decide whether
  // a request deserves a database query, never to let it through.
  // Unknown public ids have their own set, so that an attacker sending random ids can evict only those,
  // never a real application whose held entry vouches for its correct key (see decide.ts).
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  const countEviction = (reason: string) => {
    if (reason === 'evict') evictions += 1;
  };
  const applications = new LRUCache<string, Entry>({ max: maxEntries });
  const unknown = new LRUCache<string, Entry>({ max: maxEntries });
  // Applications whose correct key was verified (or that were warmed), held stale only to vouch for that
  // key: lookups of other public ids, which anyone can cause, fill `applications` and cannot evict these.
  const verified = new LRUCache<string, Entry>({ max: maxEntries });
  // Counted before the insertion rather than by a dispose hook, which would slow every eviction down.
  const setCounted = (cache: LRUCache<string, Entry>, key: string, entry: Entry) => {
    if (cache.size >= maxEntries && !cache.has(key)) evictions += 1;
    cache.set(key, entry);
  };
  // Both sets are read every time, so that a known and an unknown public id cost the same look-ups.
  const heldEntry = (publicId: string): Entry | undefined => {
    const known = applications.get(publicId);
    const missing = unknown.get(publicId);
    return known ?? missing;
  };
  const companiesByPublicId = new Map<string, Set<string>>();
  const dispose = (_entry: Entry, key: string, reason: string) => {
    countEviction(reason);
    if (reason === 'evict') unindex(key);
  };
  // Companies an application is not installed in have their own set, so that a key holder naming a new
  // company on every request evicts only such answers, never another application's installations.
  const installations = new LRUCache<string, Entry>({ max: maxEntries, dispose });
  const notInstalled = new LRUCache<string, Entry>({ max: maxEntries, dispose });
  // Bumped by every invalidation, so that a lookup started before it does not cache a stale answer.
  const generations = new Map<string, number>();
  let globalGeneration = 0;
  let bypass = false;

  // Keeps what verifies the application's keys: see CachedStore.invalidate.
  function markStale(publicId: string): void {
    const held = applications.peek(publicId);
    if (held?.record != null && held.expiresAt !== Number.NEGATIVE_INFINITY) applications.set(publicId, staleEntryOf(held.record));
  }

  function unindex(key: string): void {
    const publicId = key.slice(0, key.indexOf(SEPARATOR));
    const keys = companiesByPublicId.get(publicId);
    keys?.delete(key);
    if (keys?.size === 0) companiesByPublicId.delete(publicId);
  }

  function remember(publicId: string, companyId: string | null, record: ApplicationRecord | null): void {
    const expiresAt = now() + ttlMs;
    if (record === null) {
      applications.delete(publicId);
      setCounted(unknown, publicId, entryOf(record, expiresAt));
      return;
    }
    unknown.delete(publicId);
    const entry = entryOf(record, expiresAt);
    setCounted(applications, publicId, entry);
    if (companyId === null) return;
    const key = publicId + SEPARATOR + companyId;
    (record.installed ? installations : notInstalled).set(key, entry);
    (record.installed ? notInstalled : installations).delete(key);
    let keys = companiesByPublicId.get(publicId);
    if (keys === undefined) companiesByPublicId.set(publicId, (keys = new Set()));
    keys.add(key);
  }

  const generationOf = (publicId: string) => `${globalGeneration}:${generations.get(publicId) ?? 0}`;

  async function fetchAndRemember(publicId: string, companyId: string | null): Promise<ApplicationRecord | null> {
    const generation = generationOf(publicId);
    misses += 1;
    const record = await store.findApplication(publicId, companyId);
    if (!bypass && generation === generationOf(publicId)) remember(publicId, companyId, record);
    return record;
  }

  // One lookup per public id at a time: the requests that arrive meanwhile share it, whatever company
  // they name, so that an expired entry under load costs one query, not one per request.
  const loading = new Map<string, Promise<LoadedApplication>>();
  function load(publicId: string, companyId: string | null): Promise<LoadedApplication> {
    const pending = loading.get(publicId);
    if (pending !== undefined) return pending;
    const started = fetchAndRemember(publicId, companyId).then((record) => ({ record, companyId }));
    loading.set(publicId, started);
    const done = () => {
      if (loading.get(publicId) === started) loading.delete(publicId);
    };
    started.then(done, done);
    return started;
  }

  function freshInstallation(publicId: string, companyId: string): ApplicationRecord | undefined {
    const key = publicId + SEPARATOR + companyId;
    const entry = installations.get(key) ?? notInstalled.get(key);
    return entry !== undefined && entry.expiresAt > now() ? (entry.record ?? undefined) : undefined;
  }

  const disabled = () => bypass || ttlMs === 0;

  function peekInstallation(publicId: string, companyId: string): Grants | null | undefined {
    const held = disabled() ? undefined : freshInstallation(publicId, companyId);
    if (held === undefined) return undefined;
    hits += 1;
    return grantsOf(held);
  }

  return {
    // A hit is answered synchronously: see decide.ts for why that matters to timing.
    findApplication(publicId, companyId) {
      if (disabled()) return store.findApplication(publicId, companyId);
      const application = heldEntry(publicId);
      if (application !== undefined && application.expiresAt > now()) {
        if (application.record === null) {
          hits += 1;
          return null;
        }
        const installed = companyId === null ? undefined : freshInstallation(publicId, companyId);
        if (installed !== undefined) {
          hits += 1;
          return installed;
        }
      }
      return fetchAndRemember(publicId, companyId);
    },
    loadApplication(publicId, companyId) {
      return disabled() ? Promise.resolve(store.findApplication(publicId, companyId)).then((record) => ({ record, companyId })) : load(publicId, companyId);
    },
    peekApplication(publicId) {
      if (disabled()) return undefined;
      const application = heldEntry(publicId);
      if (application === undefined) return verified.get(publicId)?.onceExpired;
      // Written so that a clock giving something other than a number (NaN) means expired, never fresh.
      if (!(application.expiresAt > now())) return application.onceExpired;
      hits += 1;
      return application.whileFresh;
    },
    peekInstallation,
    findInstallation(publicId, companyId) {
      const held = peekInstallation(publicId, companyId);
      if (held !== undefined) return held;
      const answer = disabled() ? store.findApplication(publicId, companyId) : fetchAndRemember(publicId, companyId);
      return Promise.resolve(answer).then(grantsOf);
    },
    invalidate(publicId) {
      // Keep the generation map bounded: starting a new global generation has the same effect.
      if (generations.size >= maxEntries) {
        generations.clear();
        globalGeneration += 1;
      }
      generations.set(publicId, (generations.get(publicId) ?? 0) + 1);
      loading.delete(publicId);
      markStale(publicId);
      unknown.delete(publicId);
      for (const key of companiesByPublicId.get(publicId) ?? []) {
        installations.delete(key);
        notInstalled.delete(key);
      }
      companiesByPublicId.delete(publicId);
    },
    clear() {
      globalGeneration += 1;
      generations.clear();
      loading.clear();
      for (const publicId of [...applications.keys()]) markStale(publicId);
      unknown.clear();
      installations.clear();
      notInstalled.clear();
      companiesByPublicId.clear();
    },
    setBypass(value) {
      bypass = value;
      if (!value) return;
      this.clear();
      applications.clear();
      verified.clear();
    },
    holdVerified(record) {
      if (!disabled()) verified.set(record.publicId, staleEntryOf(record));
    },
    async warm(publicIds) {
      let found = 0;
      let batch: string[] = [];
      const flush = async () => {
        const records = await Promise.all(batch.map((publicId) => store.findApplication(publicId, null)));
        for (const record of records) {
          if (record === null || verified.has(record.publicId) || verified.size >= maxEntries) continue;
          verified.set(record.publicId, staleEntryOf(record));
          found += 1;
        }
        batch = [];
      };
      for (const publicId of publicIds) {
        if (disabled() || verified.size >= maxEntries) break;
        if (verified.has(publicId)) continue;
        batch.push(publicId);
        if (batch.length >= WARM_BATCH) await flush();
      }
      if (batch.length > 0) await flush();
      return found;
    },
    get size() {
      return applications.size + unknown.size + installations.size + notInstalled.size;
    },
    get stats() {
      return { hits, misses, evictions };
    },
    revokeKey:
      store.revokeKey === undefined
        ? undefined
        : async function (this: CachedStore, applicationId: string, keyId: string) {
            const revoked = await (store.revokeKey as NonNullable<ApplicationStore['revokeKey']>)(applicationId, keyId);
            // Forget the application holding that key (only known applications hold keys).
            const holding = [...applications.entries()].filter(([, entry]) => entry.record?.id === applicationId);
            for (const [publicId] of holding) this.invalidate(publicId);
            return revoked;
          },
    close: store.close === undefined ? undefined : () => (store.close as () => Promise<void>)(),
  };
}
