// Makes text safe to write to a terminal: control, bidi and other invisible characters become visible escapes.
import { replaceInvisibleCharacters } from 'twake-app-auth/internal';

const hex4 = (unit: number): string => unit.toString(16).padStart(4, '0');

/**
 * For people: each such character becomes `\uXXXX` (`\u{XXXXX}` beyond the BMP), so a name stored
 * with ESC, CR or U+202E by an older version or by hand shows what it holds instead of acting.
 */
export function escapeText(text: string): string {
  return replaceInvisibleCharacters(text, (character) => {
    const codePoint = character.codePointAt(0) ?? 0;
    return codePoint > 0xffff ? `\\u{${codePoint.toString(16)}}` : `\\u${hex4(codePoint)}`;
  });
}

/**
 * For JSON text from `JSON.stringify`: it escapes C0 controls and lone surrogates but leaves DEL, C1,
 * bidi and format characters and U+2028/2029 raw. They only occur inside strings, where `\uXXXX` (a
 * surrogate pair beyond the BMP) is valid JSON that parses back to the very same value.
 */
export function escapeJson(json: string): string {
  return replaceInvisibleCharacters(json, (character) =>
    character
      .split('')
      .map((unit) => `\\u${hex4(unit.charCodeAt(0))}`)
      .join(''),
  );
}
