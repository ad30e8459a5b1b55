// When a change made by another process (the CLI) became visible in the database: the clock of a
// propagation bound starts there, not when that process exits.
import type { ApplicationRecord } from '../../src';
import { createDriverStore } from '../../server/src/database/driver-store';

/**
 * Runs `change` while reading the application straight from the database every few milliseconds, and
 * resolves the time at which `committed(record)` first held. Rejects if it never holds within 10 s.
 */
export async function committedAt(url: string, publicId: string, companyId: string | null, committed: (record: ApplicationRecord | null) => boolean, change: () => Promise<unknown>): Promise<number> {
  const store = createDriverStore(url);
  const deadline = Date.now() + 10_000;
  let seenAt: number | null = null;
  try {
    const watching = (async () => {
      while (seenAt === null) {
        if (Date.now() > deadline) throw new Error('the change never became visible in the database');
        if (committed(await store.findApplication(publicId, companyId))) seenAt = Date.now();
        else await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await Promise.all([change(), watching]);
    return seenAt as unknown as number;
  } finally {
    await store.close();
  }
}
