import { describe, expect, it } from '@jest/globals';
import { MethodNotAllowedError, UriTooLongError } from '../../src/core/errors';
import { checkMethod, mergeRequirements, MAX_ROUTE_PATH_LENGTH, pathOf, requirementOf, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES, twakeV1Routes, type Requirement } from '../../src/twake/twake-v1';

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
      expect(requirementOf(twakeV1Routes, path)).toEqual({ capabilities: ['messages_save'], privileges: [], methods: ['POST'] });
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
  it('refuses a path over the limit with 414 before reading it, and reads one at the limit', () => {
    const atLimit = `/api/v1/messages/save/${'./'.repeat(MAX_ROUTE_PATH_LENGTH)}`.slice(0, MAX_ROUTE_PATH_LENGTH);
    expect(requirementOf(twakeV1Routes, atLimit)).toEqual({ capabilities: ['messages_save'], privileges: [], methods: ['POST'] });
    expect(() => requirementOf(twakeV1Routes, `${atLimit}.`)).toThrow(UriTooLongError);
    expect(() => requirementOf(twakeV1Routes, `/${'a'.repeat(200_000)}`)).toThrow(UriTooLongError);
  });

  it('drops trailing dots and spaces of a segment, and keeps those inside', () => {
    expect(requirementOf(twakeV1Routes, '/api/v1/messages/save. . .')).toEqual({ capabilities: ['messages_save'], privileges: [], methods: ['POST'] });
    expect(requirementOf(twakeV1Routes, '/api/v1/messages/save%20.%2e')).toEqual({ capabilities: ['messages_save'], privileges: [], methods: ['POST'] });
    expect(requirementOf(twakeV1Routes, '/api/v1/messages/sa.ve')).toBeNull();
    expect(requirementOf(twakeV1Routes, '/api/v1/messages/.../save')).toEqual({ capabilities: ['messages_save'], privileges: [], methods: ['POST'] });
  });

  // The middleware reads a path once when it is both the full path and the mounted one (request-facts.ts):
  // that holds only if reading it from /api/v1/ never finds something the plain reading does not.
  it('finds the same requirement from /api/v1/ as the plain reading, whenever it finds one', () => {
    const pieces = ['api', 'v1', 'API', 'V1', 'messages', 'drive', '..', '.', '', '%2e', '%61pi', 'v%31', 'x;y', 'a\\b', ' ', 'prefix'];
    const routes = Object.keys(twakeV1Routes);
    let seed = 7;
    const next = (count: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % count;
    const some = (count: number) => Array.from({ length: next(count) }, () => pieces[next(pieces.length)]);
    let found = 0;
    for (let round = 0; round < 20_000; round += 1) {
      const v1 = [['api', 'v1'], ['API', 'v1'], ['%61pi', 'v%31'], []][next(4)] as string[];
      const segments = [...some(3), ...v1, ...(routes[next(routes.length)] as string).split('/'), ...some(2)];
      const path = (round % 3 === 0 ? '' : '/') + segments.join('/') + (round % 5 === 0 ? '/' : '');
      const fromV1 = requirementOf(twakeV1Routes, path, true);
      if (fromV1 === null) continue;
      found += 1;
      expect(requirementOf(twakeV1Routes, path)).toBe(fromV1);
    }
    expect(found).toBeGreaterThan(1000);
  });

  it.each([
    ['/a/b?c#d', '/a/b'],
    ['/a/b#c?d', '/a/b'],
    ['/a/b?c', '/a/b'],
    ['/a/b#c', '/a/b'],
    ['/a/b', '/a/b'],
    ['?x', ''],
  ])('reads the path of %s as %s', (target, path) => {
    expect(pathOf(target)).toBe(path);
  });
});

describe('methods in a route table', () => {
  const post: Requirement = { capabilities: [], privileges: [], methods: ['POST'] };
  const any: Requirement = { capabilities: ['x'], privileges: [] };

  it('refuses a method the route does not list with 405 and Allow, and takes the listed one', () => {
    expect(() => checkMethod(post, 'POST')).not.toThrow();
    for (const method of ['GET', 'HEAD', 'PUT', 'OPTIONS']) {
      expect(() => checkMethod(post, method)).toThrow(MethodNotAllowedError);
    }
    try {
      checkMethod(post, 'GET');
    } catch (error) {
      expect(error).toMatchObject({ status: 405, code: 'method_not_allowed', headers: { Allow: 'POST' } });
    }
  });

  it('takes any method on a route without methods, and on no route', () => {
    expect(() => checkMethod(any, 'DELETE')).not.toThrow();
    expect(() => checkMethod(null, 'DELETE')).not.toThrow();
  });

  it('merges readings into the methods every one of them takes (the strictest reading wins)', () => {
    expect(mergeRequirements([post, any])).toEqual({ capabilities: ['x'], privileges: [], methods: ['POST'] });
    expect(mergeRequirements([any, { capabilities: [], privileges: [] }])).toEqual({ capabilities: ['x'], privileges: [] });
    const none = mergeRequirements([post, { capabilities: [], privileges: [], methods: ['GET'] }]);
    expect(none?.methods).toEqual([]);
    expect(() => checkMethod(none, 'POST')).toThrow(MethodNotAllowedError);
    expect(() => checkMethod(none, 'GET')).toThrow(MethodNotAllowedError);
  });

  it('lists POST alone for every Twake v1 route', () => {
    for (const requirement of Object.values(twakeV1Routes)) expect(requirement.methods).toEqual(['POST']);
  });
});
