// Checks a presented private key against an application's stored digests, in constant time.
import { DUMMY_DIGEST, digestKey, digestsEqual } from './secrets';
import type { ApplicationRecord, StoredKey } from './types';

/**
 * Finds the key of `record` that `privateKey` matches. Every stored digest is compared (no early exit),
 * and an unknown application is compared against a dummy digest, so that timing does not tell an
 * unknown application from a wrong key. Expiry and the enabled flag are judged after the comparison.
 *
 * @returns the matching key, or null when the credentials must be refused.
 */
export function verifyKey(record: ApplicationRecord | null, privateKey: string, now: number): StoredKey | null {
  const presented = digestKey(privateKey);
  let matched: StoredKey | null = null;
  if (record === null || record.keys.length === 0) {
    digestsEqual(presented, DUMMY_DIGEST);
  } else {
    for (const key of record.keys) {
      if (digestsEqual(presented, key.digest) && matched === null) matched = key;
    }
  }
  if (record === null || !record.enabled || matched === null) return null;
  if (matched.expiresAt !== null && matched.expiresAt.getTime() <= now) return null;
  return matched;
}
