import { describe, expect, it } from '@jest/globals';
import { digestKey } from '../../src/core/secrets';
import type { ApplicationRecord } from '../../src/core/types';
import { matchingKeys, verifyKey } from '../../src/core/verify-key';

const NOW = Date.UTC(2026, 0, 1);
const record = (overrides: Partial<ApplicationRecord> = {}): ApplicationRecord => ({
  id: 'app',
  publicId: 'pub',
  name: 'App',
  enabled: true,
  installed: true,
  keys: [
    { id: 'old', digest: digestKey('old-key'), expiresAt: new Date(NOW + 1000) },
    { id: 'new', digest: digestKey('new-key'), expiresAt: null },
  ],
  ...overrides,
});

describe('verifyKey', () => {
  it('should return the key that matches', () => {
    expect(verifyKey(record(), 'new-key', NOW)?.id).toBe('new');
    expect(verifyKey(record(), 'old-key', NOW)?.id).toBe('old');
  });

  it('should refuse a wrong key', () => {
    expect(verifyKey(record(), 'other', NOW)).toBeNull();
  });

  it('should refuse an expired key, at and after its expiry', () => {
    expect(verifyKey(record(), 'old-key', NOW + 1000)).toBeNull();
    expect(verifyKey(record(), 'old-key', NOW + 5000)).toBeNull();
  });

  it('should refuse every key of a disabled application', () => {
    expect(verifyKey(record({ enabled: false }), 'new-key', NOW)).toBeNull();
  });

  it('should refuse an unknown application and an application without keys', () => {
    expect(verifyKey(null, 'new-key', NOW)).toBeNull();
    expect(verifyKey(record({ keys: [] }), 'new-key', NOW)).toBeNull();
  });

  it('should find a key among more than four, wherever it stands', () => {
    const keys = Array.from({ length: 6 }, (_, index) => ({ id: `k${index}`, digest: digestKey(`key-${index}`), expiresAt: null }));
    for (let index = 0; index < 6; index += 1) expect(verifyKey(record({ keys }), `key-${index}`, NOW)?.id).toBe(`k${index}`);
  });

  // Digests are compared from one reused buffer: what an earlier comparison left there must never count.
  it('should never match a stored digest of the wrong length, even right after the matching one was compared', () => {
    const right = digestKey('new-key');
    // Four keys, the matching one last: it is the last digest compared, so it is what the buffer holds.
    const others = ['a', 'b', 'c'].map((id) => ({ id, digest: digestKey(id), expiresAt: null }));
    const matchingLast = record({ keys: [...others, { id: 'new', digest: right, expiresAt: null }] });
    const truncated = record({ keys: [{ id: 'short', digest: right.subarray(0, 31), expiresAt: null }, ...others] });
    expect(verifyKey(matchingLast, 'new-key', NOW)?.id).toBe('new');
    expect(verifyKey(truncated, 'new-key', NOW)).toBeNull();
    expect(verifyKey(matchingLast, 'new-key', NOW)?.id).toBe('new');
    expect(verifyKey(record({ keys: [{ id: 'empty', digest: Buffer.alloc(0), expiresAt: null }, ...others] }), 'new-key', NOW)).toBeNull();
  });

  it('should refuse a key whose digest equals no stored one although a previous call matched', () => {
    expect(verifyKey(record(), 'old-key', NOW)?.id).toBe('old');
    expect(verifyKey(record({ keys: [{ id: 'x', digest: digestKey('x'), expiresAt: null }] }), 'old-key', NOW)).toBeNull();
  });

  it('should prefer a live key to an expired one holding the same digest, in either order', () => {
    const expired = { id: 'expired', digest: digestKey('same'), expiresAt: new Date(NOW - 1) };
    const live = { id: 'live', digest: digestKey('same'), expiresAt: null };
    expect(verifyKey(record({ keys: [expired, live] }), 'same', NOW)?.id).toBe('live');
    expect(verifyKey(record({ keys: [live, expired] }), 'same', NOW)?.id).toBe('live');
    expect(verifyKey(record({ keys: [expired, { ...expired, id: 'expired-too' }] }), 'same', NOW)).toBeNull();
  });

  // Copying an array of numbers into the comparison buffer would make bytes of it that could match.
  it('should report a digest that is not a Buffer as the store bug it is', () => {
    const bytes = [...digestKey('new-key')];
    for (const digest of [bytes, bytes.map((byte) => byte + 256), Float64Array.from(bytes), digestKey('new-key').toString('latin1')]) {
      expect(() => verifyKey(record({ keys: [{ id: 'odd', digest: digest as unknown as Buffer, expiresAt: null }] }), 'new-key', NOW)).toThrow(TypeError);
    }
  });
});

describe('matchingKeys', () => {
  it('should return every key holding the digest, expired or not, and only those', () => {
    const keys = [
      { id: 'first', digest: digestKey('leaked'), expiresAt: null },
      { id: 'other', digest: digestKey('other'), expiresAt: null },
      { id: 'expired', digest: digestKey('leaked'), expiresAt: new Date(NOW - 1000) },
      { id: 'short', digest: digestKey('leaked').subarray(0, 31), expiresAt: null },
    ];
    expect(matchingKeys(record({ keys }), 'leaked').map((key) => key.id)).toEqual(['first', 'expired']);
    expect(matchingKeys(record({ keys }), 'wrong')).toEqual([]);
    expect(matchingKeys(record({ keys: [] }), 'leaked')).toEqual([]);
  });
});
