// What an installation granted, read from a looked-up record.
import type { ApplicationRecord, Grants } from './types';

const NOTHING_GRANTED: Grants = Object.freeze({ capabilities: Object.freeze([]), privileges: Object.freeze([]) });

/** What the company of a record's lookup granted; null when the application is not installed there. */
export function grantsOf(record: ApplicationRecord | null): Grants | null {
  if (record?.installed !== true) return null;
  return record.granted ?? NOTHING_GRANTED;
}
