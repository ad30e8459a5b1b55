// Private keys: generation, digest and constant-time comparison.
import * as crypto from 'node:crypto';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a string, as hex or as a one-byte ('binary') string. `crypto.hash` (one shot, no Hash
 * object) exists from Node 20.12 only; on 20.0 to 20.11 the same digest comes from `createHash`.
 */
const sha256: (text: string, encoding: 'hex' | 'binary') => string =
  typeof crypto.hash === 'function'
    ? (text, encoding) => crypto.hash('sha256', text, encoding)
    : (text, encoding) => crypto.createHash('sha256').update(text, 'utf8').digest(encoding);

/** Prefix of every key we issue, so that secret scanners and people recognise one. */
export const KEY_PREFIX = 'twk_';

/** Length of a digest in bytes (SHA-256). */
export const DIGEST_LENGTH = 32;

/** Generates a new private key: 256 random bits, base64url (no colon, safe in Basic credentials). */
export function generatePrivateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Generates a new application public id (a UUID, as Twake issues them). */
export function generatePublicId(): string {
  return randomUUID();
}

/**
 * Digest stored in place of a key. Plain SHA-256 is enough because keys are 256-bit random values:
 * see docs/security.md for why neither a slow hash nor a pepper would add protection.
 */
export function digestKey(privateKey: string): Buffer {
  return digestFromHex(sha256(privateKey, 'hex'));
}

/**
 * A stored digest from its hex form (either case), in a Buffer of its own. Every digest the validator
 * compares against is built here (the stores', the dummies'), so that all are one kind of object to the
 * engine: a Buffer made by the engine's own code and one made by Node's native code differ, and
 * comparing against one or the other takes a measurably different time (see docs/security.md, timing).
 * Anything but exactly 64 hex characters gives an empty Buffer, which matches no key: Node's hex
 * decoding stops quietly at the first pair that is not hex, so a digest edited by hand
 * (`…-revoked`, a trailing space) would otherwise still match through its first 64 characters.
 */
export function digestFromHex(hex: string): Buffer {
  const digest = Buffer.alloc(DIGEST_LENGTH);
  if (typeof hex !== 'string' || hex.length !== 2 * DIGEST_LENGTH || digest.write(hex, 'hex') !== DIGEST_LENGTH) return Buffer.alloc(0);
  return digest;
}

/** A random digest, matched by no key: what an unknown application is compared against. */
export function randomDigest(): Buffer {
  return digestFromHex(randomBytes(DIGEST_LENGTH).toString('hex'));
}

// Reused by every comparison: a Buffer allocated per request costs more than the hash itself.
const presentedDigest = Buffer.alloc(DIGEST_LENGTH);

/**
 * The digest of a presented key, for an immediate comparison: it is written into one buffer that the
 * next call overwrites. Hashing to a one-byte ('binary', that is latin1) string and copying it in allocates no Buffer.
 */
export function digestPresentedKey(privateKey: string): Buffer {
  presentedDigest.write(sha256(privateKey, 'binary'), 0, DIGEST_LENGTH, 'binary');
  return presentedDigest;
}

/** The digest as stored in the database (lower-case hex). */
export function digestKeyHex(privateKey: string): string {
  return digestKey(privateKey).toString('hex');
}

/** Compares two digests in constant time; digests of the wrong length never match. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== DIGEST_LENGTH || b.length !== DIGEST_LENGTH) return false;
  return timingSafeEqual(a, b);
}

/**
 * Compared against when the public id is unknown, so that an unknown application costs the same
 * digest and comparison as a known one. Random per process: no key can ever match it.
 */
export const DUMMY_DIGEST: Buffer = randomDigest();
