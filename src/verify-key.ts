// Checks a presented private key against an application's stored digests, in constant time.
import { DUMMY_DIGEST, digestPresentedKey, digestsEqual } from './secrets';
import type { ApplicationRecord, StoredKey } from './types';

// Never matched: its digest is random per process (see DUMMY_DIGEST), and a match with it is discarded.
// A disabled record, so that even a match could not let a request through. Its fields are in the
// order the stores build theirs, so that both are one object shape to the JavaScript engine.
const DUMMY_KEY: StoredKey = { id: '', digest: DUMMY_DIGEST, expiresAt: null };
const DUMMY_RECORD: ApplicationRecord = {
  id: '',
  publicId: '',
  name: '',
  enabled: false,
  keys: [DUMMY_KEY],
  installed: false,
};

// Every comparison runs at least this many times, so that an application with a few live keys (during a
// rotation's grace period, say) takes as long to refuse as an unknown public id.
const MIN_COMPARISONS = 4;

/**
 * Finds the key of `record` that `privateKey` matches, whatever its expiry and the application's enabled
 * flag. Every stored digest is compared (no early exit), and at least {@link MIN_COMPARISONS} comparisons
 * are made, against the dummy digest when the application has fewer keys or is unknown.
 */
export function matchKey(record: ApplicationRecord | null, privateKey: string): StoredKey | null {
  const presented = digestPresentedKey(privateKey);
  // The same loop runs for an unknown application (over the dummy key) as for a known one.
  let subject = record ?? DUMMY_RECORD;
  if (subject.keys.length === 0) subject = DUMMY_RECORD;
  const keys = subject.keys;
  const rounds = Math.max(keys.length, MIN_COMPARISONS);
  let matched: StoredKey | null = null;
  for (let index = 0; index < rounds; index += 1) {
    const key = index < keys.length ? (keys[index] as StoredKey) : DUMMY_KEY;
    if (digestsEqual(presented, key.digest) && matched === null) matched = key;
  }
  return subject === DUMMY_RECORD || matched === DUMMY_KEY ? null : matched;
}

/**
 * Finds the key of `record` that `privateKey` matches, in constant time (see {@link matchKey}), so that
 * timing does not tell an unknown application from a wrong key. Expiry and the enabled flag are judged
 * after the comparison.
 *
 * @returns the matching key, or null when the credentials must be refused.
 */
export function verifyKey(record: ApplicationRecord | null, privateKey: string, now: number): StoredKey | null {
  const matched = matchKey(record, privateKey);
  if (record === null || !record.enabled || matched === null) return null;
  if (matched.expiresAt !== null && matched.expiresAt.getTime() <= now) return null;
  return matched;
}
