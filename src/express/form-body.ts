// The text of a urlencoded body, accepted only when a backend reads its bytes as the validator does.
import { isUtf8 } from 'node:buffer';

// Thrown inside body-parser's `verify`: body-parser reports `type` with the error it passes on.
class FormRefusal extends Error {
  constructor(readonly type: string) {
    super(type);
  }
}

/**
 * The text of a urlencoded body, from its bytes and the charset body-parser read from its Content-Type
 * (`utf-8` when none is declared). Refuses, as errors body-parser passes on:
 * - any other charset (`charset.unsupported`, 415): PHP ignores the declared charset and decodes escapes
 *   to bytes, so `%C3%A9cole` is "école" to a PHP backend and "Ã©cole" to body-parser reading ISO-8859-1;
 * - bytes that are not UTF-8 (400): body-parser reads U+FFFD where PHP keeps the byte.
 */
export function formText(bytes: Buffer, charset: string): string {
  if (charset !== 'utf-8') throw new FormRefusal('charset.unsupported');
  if (!isUtf8(bytes)) throw new FormRefusal('entity.not.utf8');
  return bytes.toString('utf8');
}
