// The driver store's timestamp parsing: UTC for zone-less timestamps, nothing else changed, pg's globals untouched.
import { describe, expect, it } from '@jest/globals';
import { types } from 'pg';
import { parseUtcTimestamp, utcTimestampTypes } from '../../server/src/database/utc-timestamps';

describe('utc-timestamps', () => {
  it('reads PostgreSQL text timestamps as UTC', () => {
    expect(parseUtcTimestamp('2026-11-29 08:44:54.526').toISOString()).toBe('2026-11-29T08:44:54.526Z');
    expect(parseUtcTimestamp('2026-03-08 02:30:00').toISOString()).toBe('2026-03-08T02:30:00.000Z');
    expect(parseUtcTimestamp('0999-01-01 00:00:00').toISOString()).toBe('0999-01-01T00:00:00.000Z');
  });

  it('gives an Invalid Date for forms Prisma never writes', () => {
    for (const text of ['infinity', '-infinity', '0044-03-15 12:00:00 BC', '10000-01-01 00:00:00']) {
      expect(Number.isNaN(parseUtcTimestamp(text).getTime())).toBe(true);
    }
  });

  it('overrides only text timestamps, and leaves the global pg.types alone', () => {
    expect(utcTimestampTypes(types).getTypeParser(types.builtins.TIMESTAMP, 'text')).toBe(parseUtcTimestamp);
    expect(utcTimestampTypes(types).getTypeParser(types.builtins.TIMESTAMP)).toBe(parseUtcTimestamp);
    for (const oid of [types.builtins.TIMESTAMPTZ, types.builtins.BOOL, types.builtins.INT8, types.builtins.TEXT]) {
      expect(utcTimestampTypes(types).getTypeParser(oid, 'text')).toBe(types.getTypeParser(oid, 'text'));
    }
    expect(types.getTypeParser(types.builtins.TIMESTAMP, 'text')).not.toBe(parseUtcTimestamp);
  });
});
