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

/**
 * `text` (a key or a value) read byte by byte, as a form decoder reads it (`+` a space, an escape its
 * byte), with every byte or character above ASCII as U+FFFD and a `%` that starts no escape kept: the
 * ASCII a decoder can find there, whatever it makes of the rest. No decoding can throw.
 */
export function projectFormComponent(text: string): string {
  let projected = '';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const high = code === 0x25 ? hexValue(text.charCodeAt(index + 1)) : -1;
    const low = high < 0 ? -1 : hexValue(text.charCodeAt(index + 2));
    if (low >= 0) {
      const byte = high * 16 + low;
      projected += byte < 0x80 ? String.fromCharCode(byte) : '\ufffd';
      index += 2;
    } else projected += code === 0x2b ? ' ' : code < 0x80 ? text.charAt(index) : '\ufffd';
  }
  return projected;
}

/**
 * Whether what URLSearchParams reads `text` as (a key or a value: `+` a space, escapes decoded, bytes that
 * are not UTF-8 as U+FFFD) contains `ascii`, a string of ASCII characters, without decoding it: only
 * ASCII characters and escapes of ASCII bytes can spell it, and whatever the decoding makes of the other
 * bytes (kept, U+FFFD, or joined into one character) stays between them, never nothing.
 */
export function formComponentIncludes(text: string, ascii: string): boolean {
  return projectFormComponent(text).includes(ascii);
}
