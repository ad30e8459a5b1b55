// One definition of the characters no credential, company id or realm may contain.

// C0 controls, DEL (RFC 7617 §2 forbids control characters in user-id and password) and C1 controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `text` contains a control character. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}
