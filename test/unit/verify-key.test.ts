import { describe, expect, it } from '@jest/globals';
import { digestKey } from '../../src/secrets';
import type { ApplicationRecord } from '../../src/types';
import { verifyKey } from '../../src/verify-key';

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
});
