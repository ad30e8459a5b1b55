// One definition of the characters no credential, company id or realm may contain, and of those a display hides.

// C0 controls, DEL (RFC 7617 §2 forbids control characters in user-id and password) and C1 controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `text` contains a control character. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

// What a terminal acts on or a viewer does not show: controls (Cc: C0, DEL, C1, so ESC sequences and CR),
// format characters (Cf: bidi controls U+202A-202E, U+2066-2069, U+200E/F, U+061C, zero-width spaces,
// BOM, tags…), line and paragraph separators, and lone surrogates. The joiners U+200C and U+200D are
// left out: Persian, Indic scripts and emoji sequences need them, and they move nothing.
const INVISIBLE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');
const JOINERS = /[\u200c\u200d]/;

/** Whether `text` holds a control, format (bidi…) or separator character; joiners too unless allowed. */
export function hasInvisibleCharacters(text: string, options: { allowJoiners?: boolean } = {}): boolean {
  return INVISIBLE.test(text) || (options.allowJoiners !== true && JOINERS.test(text));
}

/** `text` with every character {@link hasInvisibleCharacters} finds (joiners kept) replaced by `replace(character)`. */
export function replaceInvisibleCharacters(text: string, replace: (character: string) => string): string {
  return text.replace(INVISIBLE_ALL, replace);
}
