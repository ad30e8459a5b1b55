// Checks a presented private key against an application's stored digests, in constant time.
import { DIGEST_LENGTH, DUMMY_DIGEST, digestPresentedKey, digestsEqual, randomDigest } from './secrets';
import type { ApplicationRecord, StoredKey } from './types';

// Every comparison runs at least this many times, so that an application with a few live keys (during a
// rotation's grace period, say) takes as long to refuse as an unknown public id.
const MIN_COMPARISONS = 4;

// Never matched: their digests are random per process (the first is DUMMY_DIGEST), and a match with one
// is discarded. One per comparison, so that an unknown public id compares against as many distinct
// buffers as a known one does (the same buffer four times would sit warmer in the processor's cache).
// Fields in the order the stores build theirs, so that all are one object shape to the JavaScript engine.
const DUMMY_KEYS: readonly StoredKey[] = Array.from({ length: MIN_COMPARISONS }, (_, index) => ({
  id: '',
  digest: index === 0 ? DUMMY_DIGEST : randomDigest(),
  expiresAt: null,
}));
// A disabled record, so that even a match could not let a request through. Every field a store's record
// has, in the stores' order: one object shape, so that reading its keys costs what reading a real
// record's does (with fewer fields it measurably did not, once both shapes had been seen).
const DUMMY_RECORD: ApplicationRecord = {
  id: '',
  publicId: '',
  name: '',
  enabled: false,
  keys: DUMMY_KEYS,
  installed: false,
  granted: undefined,
  allowedIps: [],
};

// Each stored digest is copied here and compared from here, so that every comparison reads the same
// memory: where a store's digests happen to lie, near the dummies or far from them, does not show in the
// time a comparison takes (it did: a few nanoseconds, always the same way; see docs/security.md, timing).
const candidate = Buffer.alloc(DIGEST_LENGTH);

function matches(presented: Buffer, stored: Buffer): boolean {
  // A store bug, reported as one: copying would turn an array of numbers into bytes that could match.
  if (!(stored instanceof Uint8Array)) throw new TypeError('twake-app-auth: a stored key digest must be a Buffer.');
  if (stored.length !== DIGEST_LENGTH) return false;
  candidate.set(stored);
  return digestsEqual(presented, candidate);
}

const expiredAt = (key: StoredKey, now: number) => key.expiresAt !== null && key.expiresAt.getTime() <= now;

// Two keys of one application can hold the same digest (rows written by hand): a live one is preferred
// to an expired one, so that the expired row does not hide the live one.
function preferable(key: StoredKey, matched: StoredKey | null, now: number | undefined): boolean {
  return matched === null || (now !== undefined && expiredAt(matched, now) && !expiredAt(key, now));
}

/**
 * Finds the key of `record` that `privateKey` matches, whatever its expiry and the application's enabled
 * flag (with `now`, a key live then is preferred to an expired one with the same digest). Every stored
 * digest is compared (no early exit), and at least {@link MIN_COMPARISONS} comparisons are made, against
 * dummy digests when the application has fewer keys or is unknown.
 */
export function matchKey(record: ApplicationRecord | null, privateKey: string, now?: number): StoredKey | null {
  const presented = digestPresentedKey(privateKey);
  // The same loop runs for an unknown application (over the dummy keys) as for a known one.
  let subject = record ?? DUMMY_RECORD;
  if (subject.keys.length === 0) subject = DUMMY_RECORD;
  const keys = subject.keys;
  const rounds = Math.max(keys.length, MIN_COMPARISONS);
  let matched: StoredKey | null = null;
  for (let index = 0; index < rounds; index += 1) {
    const key = index < keys.length ? (keys[index] as StoredKey) : (DUMMY_KEYS[index] as StoredKey);
    if (matches(presented, key.digest) && preferable(key, matched, now)) matched = key;
  }
  // A wrong key, the usual refusal, leaves at the first test whatever the record.
  return matched === null || subject === DUMMY_RECORD || DUMMY_KEYS.includes(matched) ? null : matched;
}

/**
 * Every key of `record` that `privateKey` matches, whatever its expiry: a leaked key is revoked from
 * every row that holds it (rows written by hand can repeat a digest). Each stored digest is compared,
 * each comparison in constant time; the caller's answer does not depend on how many match.
 */
export function matchingKeys(record: ApplicationRecord, privateKey: string): StoredKey[] {
  const presented = digestPresentedKey(privateKey);
  return record.keys.filter((key) => matches(presented, key.digest));
}

/**
 * Finds the key of `record` that `privateKey` matches, in constant time (see {@link matchKey}), so that
 * timing does not tell an unknown application from a wrong key. Expiry and the enabled flag are judged
 * after the comparison.
 *
 * @returns the matching key, or null when the credentials must be refused.
 */
export function verifyKey(record: ApplicationRecord | null, privateKey: string, now: number): StoredKey | null {
  const matched = matchKey(record, privateKey, now);
  if (matched === null || record === null || !record.enabled || expiredAt(matched, now)) return null;
  return matched;
}
