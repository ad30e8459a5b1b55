// Checks a presented private key against an application's stored digests, in constant time.
import { DUMMY_DIGEST, digestKey, digestsEqual } from './secrets';
import type { ApplicationRecord, StoredKey } from './types';

// Never matched: its digest is random per process (see DUMMY_DIGEST), and a match with it is discarded.
// A disabled record, so that even a match could not let a request through. Its fields are in the
// order the stores build theirs, so that both are one object shape to the JavaScript engine.
const DUMMY_RECORD: ApplicationRecord = {
  id: '',
  publicId: '',
  name: '',
  enabled: false,
  keys: [{ id: '', digest: DUMMY_DIGEST, expiresAt: null }],
  installed: false,
};

/**
 * Finds the key of `record` that `privateKey` matches. Every stored digest is compared (no early exit),
 * and an unknown application is compared against a dummy digest, so that timing does not tell an
 * unknown application from a wrong key. Expiry and the enabled flag are judged after the comparison.
 *
 * @returns the matching key, or null when the credentials must be refused.
 */
export function verifyKey(record: ApplicationRecord | null, privateKey: string, now: number): StoredKey | null {
  const presented = digestKey(privateKey);
  // The same loop runs for an unknown application (over one dummy key) as for a known one.
  // Both paths read keys.length, so the unknown application skips no step.
  let subject = record ?? DUMMY_RECORD;
  if (subject.keys.length === 0) subject = DUMMY_RECORD;
  let matched: StoredKey | null = null;
  for (const key of subject.keys) {
    if (digestsEqual(presented, key.digest) && matched === null) matched = key;
  }
  if (!subject.enabled || matched === null) return null;
  if (matched.expiresAt !== null && matched.expiresAt.getTime() <= now) return null;
  return matched;
}
