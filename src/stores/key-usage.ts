// Records when each key was last used, in batches off the request path (application_keys.last_used_at).
import type { TwakeIdentity } from '../core/types';

/** The one Prisma model operation the recorder uses. @public */
export interface KeyUsagePrismaLike {
  applicationKey: {
    updateMany(args: { where: { id: { in: string[] } }; data: { lastUsedAt: Date } }): PromiseLike<unknown>;
  };
}

/** Options of {@link createKeyUsageRecorder}. @public */
export interface KeyUsageOptions {
  /** How often used keys are written, in milliseconds: `last_used_at` is that precise. Defaults to 60000. */
  intervalMs?: number;
  /** Told about a failed write (the keys are retried at the next one). Defaults to doing nothing. */
  onError?: (error: unknown) => void;
  /** Clock. Defaults to `Date.now`. */
  now?: () => number;
}

/** Collects used keys and writes their last use. @public */
export interface KeyUsageRecorder {
  /** Pass as the `onAuthenticated` option: remembers the key, costs a Set insertion. */
  record(identity: TwakeIdentity): void;
  /** Writes what was collected now. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

// Keeps each statement's parameter list well under every driver's limit.
const BATCH_SIZE = 500;

/**
 * Keeps the ids of keys used since the last write and stamps them all with the time of the write, every
 * `intervalMs`. The request path never waits for the database; a crash loses at most one interval.
 *
 * @public
 */
export function createKeyUsageRecorder(prisma: KeyUsagePrismaLike, options: KeyUsageOptions = {}): KeyUsageRecorder {
  const intervalMs = options.intervalMs ?? 60_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new TypeError('twake-app-auth: key usage intervalMs must be a whole number of milliseconds, 1 or more.');
  const onError = options.onError ?? (() => undefined);
  const now = options.now ?? Date.now;
  let pending = new Set<string>();
  let writing: Promise<void> = Promise.resolve();

  async function write(keyIds: string[]): Promise<void> {
    const usedAt = new Date(now());
    for (let start = 0; start < keyIds.length; start += BATCH_SIZE) {
      const batch = keyIds.slice(start, start + BATCH_SIZE);
      try {
        await prisma.applicationKey.updateMany({ where: { id: { in: batch } }, data: { lastUsedAt: usedAt } });
      } catch (error) {
        for (const id of batch) pending.add(id);
        onError(error);
      }
    }
  }

  function flush(): Promise<void> {
    if (pending.size === 0) return writing;
    const keyIds = [...pending];
    pending = new Set();
    // One write at a time, in order, so that an older time never overwrites a newer one.
    writing = writing.then(() => write(keyIds));
    return writing;
  }

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    record(identity) {
      pending.add(identity.keyId);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
