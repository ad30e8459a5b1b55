import { describe, expect, it } from '@jest/globals';
import { ABSENT, AMBIGUOUS, aliasesGroupId, extractGroupId, fromParsed, fromQueryString } from '../../src/core/group-id';

const ok = (companyId: string) => ({ status: 'ok', companyId });
const INVALID = { status: 'invalid' };
const MISSING = { status: 'missing' };

describe('extractGroupId', () => {
  it.each([
    ['a JSON body', { group_id: 'c1' }, '/x', ok('c1')],
    ['the query string', undefined, '/x?group_id=c1', ok('c1')],
    ['a percent-encoded query value', undefined, '/x?group_id=c%201', ok('c 1')],
    ['body and query agreeing', { group_id: 'c1' }, '/x?group_id=c1', ok('c1')],
    ['body and query disagreeing', { group_id: 'c1' }, '/x?group_id=c2', INVALID],
    ['nowhere', {}, '/x', MISSING],
    ['no body and no query', undefined, '/x', MISSING],
    ['a body that is an array', [{ group_id: 'c1' }], '/x', MISSING],
    ['a body that is a string', 'group_id=c1', '/x', MISSING],
    ['an empty string in the body', { group_id: '' }, '/x', INVALID],
    ['an empty string in the query', undefined, '/x?group_id=', INVALID],
    ['null', { group_id: null }, '/x', INVALID],
    ['a number', { group_id: 42 }, '/x', INVALID],
    ['a boolean', { group_id: true }, '/x', INVALID],
    ['an array in the body', { group_id: ['c1'] }, '/x', INVALID],
    ['an object in the body', { group_id: { id: 'c1' } }, '/x', INVALID],
    ['a repeated query parameter', undefined, '/x?group_id=c1&group_id=c1', INVALID],
    ['a bracketed query key', undefined, '/x?group_id[]=c1', INVALID],
    ['a bracketed key with an index', undefined, '/x?group_id[0]=c1', INVALID],
    ['a bracketed body key (simple urlencoded parser)', { 'group_id[]': 'c1' }, '/x', INVALID],
    ['a control character', { group_id: 'c\u0000' }, '/x', INVALID],
    ['a newline in the query', undefined, '/x?group_id=c%0A1', INVALID],
    ['a lone high surrogate in the body (no UTF-8 form)', { group_id: 'c\ud800' }, '/x', INVALID],
    ['a lone low surrogate in the body', { group_id: '\udc00c' }, '/x', INVALID],
    ['a character outside the BMP, a well-formed pair', { group_id: 'c\ud83d\ude00' }, '/x', ok('c😀')],
    ['a percent-encoded character outside the BMP', undefined, '/x?group_id=c%F0%9F%98%80', ok('c😀')],
    ['percent-encoded UTF-8', undefined, '/x?group_id=c%C3%A9', ok('cé')],
    ['a percent-encoded byte that is not UTF-8 (U+FFFD for some parsers, "%FF" or the byte for others)', undefined, '/x?group_id=%FF', INVALID],
    ['a truncated UTF-8 sequence', undefined, '/x?group_id=c%C3', INVALID],
    ['an encoded surrogate', undefined, '/x?group_id=%ED%A0%80', INVALID],
    ['a "%" that starts no escape', undefined, '/x?group_id=a%zz', INVALID],
    ['a key that is not UTF-8 around group_id', undefined, '/x?group_id%FF=c1', INVALID],
    ['an encoded key naming group_id with a value that is not UTF-8', undefined, '/x?%67roup_id=c%FF', INVALID],
    ['a value that is not UTF-8 in another parameter', undefined, '/x?other=%FF&group_id=c%201', ok('c 1')],
    ['129 characters', { group_id: 'c'.repeat(129) }, '/x', INVALID],
    ['128 characters', { group_id: 'c'.repeat(128) }, '/x', ok('c'.repeat(128))],
    ['a "#" in a query naming group_id (no fragment in a request target)', undefined, '/x?group_id=c1#frag', INVALID],
    ['a second company hidden after "#"', undefined, '/x?y#&group_id=c2', INVALID],
    ['a "#" in a query without group_id', undefined, '/x?a=1#b', MISSING],
    ['a second company after ";"', undefined, '/x?group_id=c1&x=1;group_id=c2', INVALID],
    ['";" inside a value that stays the same company', undefined, '/x?group_id=c1&x=1;2', ok('c1')],
    ['a company only after ";"', undefined, '/x?x=1;group_id=c2', INVALID],
    ['qs alias: leading bracket', undefined, '/x?%5Bgroup_id%5D=c1', INVALID],
    ['qs alias: dot', undefined, '/x?group_id.x=c1', INVALID],
    ['not an alias: nested further in', undefined, '/x?x%5Bgroup_id%5D=c1', MISSING],
    ['a second "?" opening a query naming group_id (read as part of the key by some parsers, dropped by others)', undefined, '/x??group_id=c1', INVALID],
    ['the same with an encoded value', undefined, '/x??group_id=c%201', INVALID],
    ['a second "?" without group_id', undefined, '/x??a=1', MISSING],
    ['a similar name only', { group_ids: 'c1' }, '/x?groupid=c1', MISSING],
  ])('%s', (_name, body, url, expected) => {
    expect(extractGroupId(body, url)).toEqual(expected);
  });

  it('should ignore inherited properties (prototype pollution)', () => {
    const body = Object.create({ group_id: 'c1' }) as object;
    expect(extractGroupId(body, '/x')).toEqual(MISSING);
  });
});

describe('fromQueryString on queries with nothing encoded', () => {
  // The in-place scan against URLSearchParams, which splits such a query the same way (the generated
  // queries never open with a second "?", which URLSearchParams drops).
  function expected(query: string) {
    const pairs = [...new URLSearchParams(query)];
    if (pairs.some(([key]) => key !== 'group_id' && aliasesGroupId(key))) return AMBIGUOUS;
    const values = pairs.filter(([key]) => key === 'group_id').map(([, value]) => value);
    if (values.length > 1) return AMBIGUOUS;
    return values.length === 1 ? { found: true, value: values[0] } : ABSENT;
  }

  it('should read what URLSearchParams reads, over 5,000 generated queries', () => {
    const pieces = ['group_id', 'group_id=', '=', '&', '&&', 'c1', 'x', 'group_ids', 'xgroup_id', 'group_id[]', '[group_id]', 'group_id.x', 'a[group_id]', '[group_id', '.group_id', 'group_id=c2', '=group_id'];
    let seed = 7;
    const next = (bound: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % bound;
    };
    const outcomes = new Set<string>();
    for (let run = 0; run < 5_000; run += 1) {
      const query = Array.from({ length: 1 + next(6) }, () => pieces[next(pieces.length)]).join('');
      const result = fromQueryString(`/x?${query}`);
      outcomes.add(result === AMBIGUOUS ? 'ambiguous' : result.found ? 'found' : 'absent');
      expect({ query, result }).toEqual({ query, result: expected(query) });
    }
    expect([...outcomes].sort()).toEqual(['absent', 'ambiguous', 'found']);
  });
});

describe('names PHP reads as group_id', () => {
  // PHP skips leading spaces, turns " ", "." and an unmatched "[" into "_", ends a name at NUL, and files
  // "name[...]" under name; "+" in a form is a space. Each of these is group_id to $_GET / $_POST.
  const PHP_ALIASES = [
    'group.id',
    'group+id',
    'group%20id',
    'group%2Eid',
    'group%2eid',
    '+group_id',
    '++group_id',
    '%20group_id',
    '+%20group.id',
    'group[id',
    'group%5Bid',
    'group_id%00',
    'group_id%00x',
    'group_id%00%FF',
    'group.id%00%FF',
    '%67roup.id',
    'group.id[x]',
    'group+id[]',
    'group_id%5B+%5D',
  ];

  describe.each([
    ['alone', (name: string) => `${name}=beta`],
    ['after group_id', (name: string) => `group_id=alpha&${name}=beta`],
    ['before group_id', (name: string) => `${name}=beta&group_id=alpha`],
    ['without a value', (name: string) => `group_id=alpha&${name}`],
    ['with an encoded group_id value', (name: string) => `group_id=al%70ha&${name}=beta`],
    ['with ";" in the query', (name: string) => `group_id=alpha&x=1;y&${name}=beta`],
    ['after a second "?"', (name: string) => `?x=1&${name}=beta`],
    ['after a "#"', (name: string) => `x=1#&${name}=beta`],
  ])('in a query, %s', (_placement, query) => {
    it.each(PHP_ALIASES)('%s is refused', (name) => {
      expect(fromQueryString(`/x?${query(name)}`)).toBe(AMBIGUOUS);
    });
  });

  it.each([
    ['group.id'],
    ['group id'],
    [' group_id'],
    ['group[id'],
    ['group_id\u0000x'],
    ['group.id[x]'],
    // A key qs could not decode is kept as it came: PHP still decodes it.
    ['group.id%00%FF'],
    ['%67roup_id%00%FF'],
  ])('in a parsed body or query, the key %j is refused', (key) => {
    expect(fromParsed({ group_id: 'alpha', [key]: 'beta' })).toBe(AMBIGUOUS);
    expect(fromParsed({ [key]: 'beta' })).toBe(AMBIGUOUS);
  });

  // PHP reads none of these as group_id (and neither does qs): they are other fields.
  it.each(['group_ids', 'xgroup_id', '_group_id', 'group__id', 'group[_id', 'gr.up_id', 'Group_id', 'group_id%09', '%09group_id', 'group', 'groups', 'group%00.id', 'group_i%00d', 'group_name', 'a%5Bgroup.id%5D'])(
    'the key %s is not the company',
    (name) => {
      expect(fromQueryString(`/x?group_id=alpha&${name}=beta`)).toEqual({ found: true, value: 'alpha' });
    },
  );

  it('keeps the plain-query scan linear on many keys holding "group"', () => {
    const query = `${'group.x=1&'.repeat(20_000)}${'group'.repeat(20_000)}=1&group_id=alpha`;
    const started = process.hrtime.bigint();
    expect(fromQueryString(`/x?${query}`)).toEqual({ found: true, value: 'alpha' });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });
});
