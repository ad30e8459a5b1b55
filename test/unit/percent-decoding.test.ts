// The exception-free decoders agree with the ones they stand in for, on request-shaped input (characters
// below U+0100, as Node reads header bytes): seeded, so that a failure replays.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeComponent, formComponentIncludes } from '../../src/core/percent-decoding';

const strictReference = (text: string): string | null => {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
};

const PIECES = ['%', '%2', '%zz', '%41', '%e9', '%c3%a9', '%ED%A0%80', '%F0%9F%98%80', '%F4%90%80%80', '%C0%AF', '%E0%80%AF', '%ff', '%80', 'a', '+', 'é', 'Ã', '\u0080', '%2B', '%67', 'group_id', 'roup', '_id', '%5f', 'r%6fup'];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((parts) => parts.join(''));

describe('percent-decoding', () => {
  it('decodeComponent: what decodeURIComponent gives, null where it throws', () => {
    fc.assert(fc.property(text, (input) => decodeComponent(input) === strictReference(input)), { numRuns: 30_000, seed: 21 });
  });

  it('formComponentIncludes: whether URLSearchParams reads the text as holding the string', () => {
    fc.assert(fc.property(text, (input) => formComponentIncludes(input, 'group_id') === (new URLSearchParams(`k=${input}`).get('k') ?? '').includes('group_id')), { numRuns: 30_000, seed: 21 });
  });

  it('finds group_id spelled with escapes, and not where it is broken (positive and negative controls)', () => {
    expect(formComponentIncludes('%67roup%5Fid', 'group_id')).toBe(true);
    expect(formComponentIncludes('%67roup%zzid', 'group_id')).toBe(false);
    expect(decodeComponent('%C3%A9')).toBe('é');
    expect(decodeComponent('%C3')).toBeNull();
  });
});
