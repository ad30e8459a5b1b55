// Percent-decoding of request input without exceptions: the input decides how many sequences are malformed,
// and each thrown error costs microseconds, which thousands of them in one URL turn into milliseconds.
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * Whether decodeURIComponent accepts `text`: every `%` starts two hex digits, and the escaped bytes form
 * UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF), a sequence never
 * interrupted by a character that is not escaped.
 */
function decodesCleanly(text: string): boolean {
  let pending = 0; // continuation bytes still expected
  let low = 0x80; // bounds of the next continuation byte (narrower right after E0, ED, F0, F4)
  let high = 0xbf;
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) !== 0x25) {
      if (pending > 0) return false;
      continue;
    }
    const first = hexValue(text.charCodeAt(index + 1));
    const second = hexValue(text.charCodeAt(index + 2));
    if (first < 0 || second < 0) return false;
    const byte = first * 16 + second;
    index += 2;
    if (pending > 0) {
      if (byte < low || byte > high) return false;
      pending -= 1;
      low = 0x80;
      high = 0xbf;
    } else if (byte >= 0x80) {
      if (byte >= 0xc2 && byte <= 0xdf) pending = 1;
      else if (byte >= 0xe0 && byte <= 0xef) [pending, low, high] = [2, byte === 0xe0 ? 0xa0 : 0x80, byte === 0xed ? 0x9f : 0xbf];
      else if (byte >= 0xf0 && byte <= 0xf4) [pending, low, high] = [3, byte === 0xf0 ? 0x90 : 0x80, byte === 0xf4 ? 0x8f : 0xbf];
      else return false;
    }
  }
  return pending === 0;
}

/** `decodeURIComponent(text)`, or null where it would throw (a malformed escape, bytes that are not UTF-8). */
export function decodeComponent(text: string): string | null {
  if (!text.includes('%')) return text;
  return decodesCleanly(text) ? decodeURIComponent(text) : null;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * What Node's URLSearchParams reads `text` as, as a key or a value: `+` is a space; without an escape of two
 * hex digits, the text as it is; otherwise decodeURIComponent, or where that would throw, each character
 * as one byte (its low byte, as Node's own fallback does), escapes as their byte, all read as UTF-8 with
 * U+FFFD for what is not.
 */
export function decodeFormComponent(text: string): string {
  // URLSearchParams takes a USVString: a lone surrogate is U+FFFD before anything else.
  const usv = SURROGATE.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text;
  const spaced = usv.replaceAll('+', ' ');
  if (!hasFormEscape(usv)) return spaced;
  const strict = decodeComponent(spaced);
  if (strict !== null) return strict;
  const bytes: number[] = [];
  for (let index = 0; index < spaced.length; index += 1) {
    const code = spaced.charCodeAt(index);
    const high = code === 0x25 ? hexValue(spaced.charCodeAt(index + 1)) : -1;
    const low = high < 0 ? -1 : hexValue(spaced.charCodeAt(index + 2));
    if (low < 0) {
      bytes.push(code & 0xff);
      continue;
    }
    bytes.push(high * 16 + low);
    index += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

// Node's own test for "something is escaped": a `%` then two hex digits, a `+` between them not counting.
function hasFormEscape(text: string): boolean {
  let digits = -1;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x25) digits = 0;
    else if (code === 0x2b || digits < 0) continue;
    else if (hexValue(code) < 0) digits = -1;
    else if ((digits += 1) === 2) return true;
  }
  return false;
}
