import { describe, expect, it } from '@jest/globals';
import { escapeJson, escapeText } from '../../server/src/cli/escape';
import { hasInvisibleCharacters } from '../../src/core/control-characters';

// Every character that may act on a terminal or hide in it, as the CLI must never print them raw.
const DANGEROUS = [
  '\u0000', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u009d',
  '\u061c', '\u200b', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff',
  '\u00ad', '\u{E0041}', '\ud800', '\udfff',
];

describe('hasInvisibleCharacters', () => {
  it.each(DANGEROUS.map((character) => [JSON.stringify(character), character]))('finds %s', (_shown, character) => {
    expect(hasInvisibleCharacters(`a${character}b`)).toBe(true);
    expect(hasInvisibleCharacters(`a${character}b`, { allowJoiners: true })).toBe(true);
  });

  it('leaves letters, emoji and spaces, and joiners when asked', () => {
    expect(hasInvisibleCharacters('Calendar bot é 日本 \u{1F600} \u00a0')).toBe(false);
    expect(hasInvisibleCharacters('a\u200cb\u200dc')).toBe(true);
    expect(hasInvisibleCharacters('a\u200cb\u200dc', { allowJoiners: true })).toBe(false);
  });
});

describe('escapeText', () => {
  it('shows what a stored name holds instead of letting it act', () => {
    expect(escapeText('Evil\u001b]0;pwned\u0007\r\u001b[2J')).toBe('Evil\\u001b]0;pwned\\u0007\\u000d\\u001b[2J');
    expect(escapeText('co\u202eabc\u2066\u0085')).toBe('co\\u202eabc\\u2066\\u0085');
    expect(escapeText('tag\u{E0041} lone\ud800')).toBe('tag\\u{e0041} lone\\ud800');
  });

  it('leaves ordinary text, emoji and joiners alone', () => {
    const text = 'Calendar bot \u00e9 \u{1F469}\u200d\u{1F4BB} \u0645\u06cc\u200c\u062e';
    expect(escapeText(text)).toBe(text);
  });

  it.each(DANGEROUS.map((character) => [JSON.stringify(character), character]))('escapes %s', (_shown, character) => {
    expect(hasInvisibleCharacters(escapeText(`a${character}b`))).toBe(false);
  });
});

describe('escapeJson', () => {
  it.each(DANGEROUS.map((character) => [JSON.stringify(character), character]))('escapes %s and parses back to the same value', (_shown, character) => {
    const value = { name: `a${character}b`, list: [character] };
    const text = escapeJson(JSON.stringify(value));
    expect(hasInvisibleCharacters(text)).toBe(false);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('changes nothing JSON.stringify already made safe', () => {
    const text = JSON.stringify({ name: 'Calendar bot \u{1F600}', n: 1 });
    expect(escapeJson(text)).toBe(text);
  });
});
