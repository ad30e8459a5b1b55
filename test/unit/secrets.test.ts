import { describe, expect, it } from '@jest/globals';
import { DUMMY_DIGEST, KEY_PREFIX, digestFromHex, digestKey, digestPresentedKey, digestKeyHex, digestsEqual, generatePrivateKey, generatePublicId, randomDigest } from '../../src/core/secrets';

describe('secrets', () => {
  it('should generate distinct 256-bit keys without colons', () => {
    const keys = new Set(Array.from({ length: 1000 }, generatePrivateKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(/^twk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    }
  });

  it('should generate UUID public ids', () => {
    expect(generatePublicId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('should digest with SHA-256 (known answer)', () => {
    expect(digestKeyHex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(digestKey('abc')).toEqual(Buffer.from(digestKeyHex('abc'), 'hex'));
  });

  it('should compare equal digests as equal and different ones as different', () => {
    expect(digestsEqual(digestKey('a'), digestKey('a'))).toBe(true);
    expect(digestsEqual(digestKey('a'), digestKey('b'))).toBe(false);
  });

  it('should never match digests of the wrong length (instead of throwing)', () => {
    expect(digestsEqual(Buffer.alloc(31), Buffer.alloc(31))).toBe(false);
    expect(digestsEqual(Buffer.alloc(32), Buffer.alloc(33))).toBe(false);
  });

  it('should have a dummy digest that no common key matches', () => {
    expect(DUMMY_DIGEST).toHaveLength(32);
    expect(digestsEqual(digestKey(''), DUMMY_DIGEST)).toBe(false);
  });

  it('should give the same digest for a presented key as for a stored one, whatever its characters', () => {
    for (const key of [generatePrivateKey(), '', 'é£😀', '\u00ff\u0100', 'k'.repeat(256), 'twk_+/=']) {
      expect(Buffer.from(digestPresentedKey(key))).toEqual(digestKey(key));
    }
  });

  it('should read a stored digest from exactly 64 hex characters, in either case, and from nothing else', () => {
    const hex = digestKeyHex('abc');
    expect(digestFromHex(hex)).toEqual(digestKey('abc'));
    expect(digestFromHex(hex.toUpperCase())).toEqual(digestKey('abc'));
    // Node's hex decoding would stop at the first bad pair and keep what came before it.
    for (const text of [`${hex}-revoked`, `${hex} `, `${hex}0`, ` ${hex}`, `0x${hex}`, hex.slice(0, 62), `${hex.slice(0, 62)}zz`, '']) {
      expect(digestFromHex(text)).toHaveLength(0);
    }
    expect(digestFromHex(digestKey('abc') as unknown as string)).toHaveLength(0);
    expect(digestFromHex(12345 as unknown as string)).toHaveLength(0);
  });

  // A slice of Node's shared pool would show other digests to whoever reads its `.buffer`.
  it('should hold each digest in memory of its own', () => {
    for (const digest of [digestKey('abc'), digestFromHex(digestKeyHex('abc')), randomDigest(), DUMMY_DIGEST]) {
      expect(digest.byteOffset).toBe(0);
      expect(digest.buffer.byteLength).toBe(32);
    }
  });
});
