// Row decoding of the lookup: expiries of every driver form, and unreadable ones treated as past.
import { describe, expect, it } from '@jest/globals';
import { toRecord, type LookupRow } from '../../src/stores/lookup-sql';

function row(expiresAt: unknown): LookupRow {
  return { id: 'a', public_id: 'p', name: 'n', enabled: true, key_id: 'k', digest: '00', expires_at: expiresAt, installed: true };
}

const expiryOf = (expiresAt: unknown) => toRecord([row(expiresAt)])?.keys[0]?.expiresAt;

describe('toRecord expiries', () => {
  it('reads a Date, epoch milliseconds and ISO-8601 text', () => {
    const at = new Date('2026-11-29T08:44:54.526Z');
    expect(expiryOf(at)).toEqual(at);
    expect(expiryOf(at.getTime())).toEqual(at);
    expect(expiryOf(BigInt(at.getTime()))).toEqual(at);
    expect(expiryOf(String(at.getTime()))).toEqual(at);
    expect(expiryOf(at.toISOString())).toEqual(at);
    expect(expiryOf(null)).toBeNull();
  });

  it('treats an unreadable expiry as already past, never as no expiry', () => {
    for (const value of [new Date(Number.NaN), Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 10n ** 20n, 'infinity', 'soon', {}]) {
      expect(expiryOf(value)).toEqual(new Date(0));
    }
  });
});
