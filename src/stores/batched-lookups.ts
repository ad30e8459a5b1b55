// Lookups that arrive together go to the database as one statement (the Prisma store's and the server's
// driver store's). Under load, one round trip (one socket write, one wake-up of a database backend) then
// serves many requests, where each used to cost its own:
// on a loaded server the write alone was the largest cost of a cold lookup. Each request is still answered
// from a query sent after it arrived: nothing is reused across time.
import type { ApplicationRecord } from '../core/types';
import { toRecord, type LookupRow } from './lookup-sql';

/** A row of the batched statement: a lookup row and the 1-based position of the lookup it answers. */
export interface BatchRow extends LookupRow {
  position: string | number;
}

/** How the batched lookups reach the database. */
export interface LookupRunner {
  /** One lookup, with the single-lookup statement. */
  one(publicId: string, companyId: string | null): Promise<LookupRow[]>;
  /** Several, with the batched statement; arrays of equal length. */
  many(publicIds: string[], companyIds: Array<string | null>): Promise<BatchRow[]>;
  /**
   * Whether a failure of `many` may come from one of its values rather than from the database (a value
   * the database cannot store, say): its lookups are then sent again one by one, so that only the
   * lookup that caused it fails.
   */
  failedOnAValue(error: unknown): boolean;
}

/** Most lookups in one statement: bounds its parameters and the rows one answer holds. */
export const MAX_BATCH = 100;

interface Waiting {
  publicId: string;
  companyId: string | null;
  resolve: (record: ApplicationRecord | null) => void;
  reject: (error: unknown) => void;
}

/**
 * A `findApplication` that gathers the lookups made while the event loop handles one round of input
 * (the requests read from every socket that had data) and sends them when that round is over: alone
 * with the single-lookup statement, together with the batched one. A statement that fails on one of its
 * values is sent again lookup by lookup; any other failure (the database down or too slow) fails each
 * of its lookups, as it would have failed each on its own.
 */
export function batchedLookups(runner: LookupRunner): (publicId: string, companyId: string | null) => Promise<ApplicationRecord | null> {
  let waiting: Waiting[] = [];

  function send(lookups: Waiting[]): void {
    if (lookups.length === 1) {
      const [lookup] = lookups as [Waiting];
      runner.one(lookup.publicId, lookup.companyId).then((rows) => settle(lookup, rows), lookup.reject);
      return;
    }
    runner.many(lookups.map((lookup) => lookup.publicId), lookups.map((lookup) => lookup.companyId)).then(
      (rows) => {
        const answers: LookupRow[][] = lookups.map(() => []);
        for (const row of rows) answers[Number(row.position) - 1]?.push(row);
        lookups.forEach((lookup, index) => settle(lookup, answers[index] as LookupRow[]));
      },
      (error: unknown) => {
        if (runner.failedOnAValue(error)) for (const lookup of lookups) send([lookup]);
        else for (const lookup of lookups) lookup.reject(error);
      },
    );
  }

  function flush(): void {
    const lookups = waiting;
    waiting = [];
    for (let start = 0; start < lookups.length; start += MAX_BATCH) send(lookups.slice(start, start + MAX_BATCH));
  }

  return (publicId, companyId) =>
    new Promise((resolve, reject) => {
      // setImmediate runs once the loop has read every socket that was ready: the lookups those requests
      // make are sent together, and a lone request waits for no other.
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ publicId, companyId, resolve, reject });
    });
}

function settle(lookup: Waiting, rows: readonly LookupRow[]): void {
  try {
    lookup.resolve(toRecord(rows));
  } catch (error) {
    lookup.reject(error);
  }
}
