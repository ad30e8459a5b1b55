import { describe, expect, it } from '@jest/globals';
import { requirementOf, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES, twakeV1Routes } from '../../src/twake-v1';

describe('twakeV1Routes', () => {
  it('names only known capabilities and privileges', () => {
    for (const requirement of Object.values(twakeV1Routes)) {
      for (const name of requirement.capabilities) expect(TWAKE_CAPABILITIES).toContain(name);
      for (const name of requirement.privileges) expect(TWAKE_PRIVILEGES).toContain(name);
    }
  });

  it.each(['/api/v1/messages/save', '/API/V1/Messages/Save', '/api/v1/messages/save/', '/api/v1//messages//save', '/api/v1/messages/%73ave', '/api/v1/drive/../messages/save', '/api/v1/./messages/save', '/api/v1/messages/%2e/save', '/api/v1/../v1/messages/save', '/x/../api/v1/messages/save', '/api/v1/%zz/../messages/%73ave', '/api/v1\\messages\\save', '/prefix/api/v1/messages/save', 'messages/save', '/messages/save'])(
    'finds messages/save under %s',
    (path) => {
      expect(requirementOf(twakeV1Routes, path)).toEqual({ capabilities: ['messages_save'], privileges: [] });
    },
  );

  it('finds nothing for routes outside the table, for inherited keys, and outside /api/v1/ when asked', () => {
    expect(requirementOf(twakeV1Routes, '/api/v1/auth/test')).toBeNull();
    expect(requirementOf(twakeV1Routes, '/api/v1/constructor')).toBeNull();
    expect(requirementOf(twakeV1Routes, '/api/v1/__proto__')).toBeNull();
    expect(requirementOf(twakeV1Routes, '/messages/save', true)).toBeNull();
    expect(requirementOf(twakeV1Routes, '/api/v1/%E0%A4%A')).toBeNull();
  });
});

describe('requirementOf on hostile paths', () => {
  it('stays linear on long paths of any shape (no backtracking)', () => {
    const started = Date.now();
    for (const path of [`/${'a'.repeat(200_000)}!`, `${'/a'.repeat(100_000)}/!`, `/${'%2e%2e/'.repeat(20_000)}messages/save`]) requirementOf(twakeV1Routes, path);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
