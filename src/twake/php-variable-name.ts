// The name PHP files a form field under ($_GET, $_POST, $_REQUEST), so that every spelling PHP reads as
// group_id can be refused: PHP rewrites field names before it stores them.

const SPACE = 0x20;
const DOT = 0x2e;
const OPEN = 0x5b; // [

/**
 * The top-level key PHP stores a form field named `name` under, or '' when PHP drops the field.
 * `name` is the field name already percent-decoded, a `+` read as a space, as PHP decodes it. PHP 8:
 * - reads the name as a C string: it ends at the first NUL;
 * - skips the spaces it starts with (only spaces);
 * - when a `[` has a `]` anywhere after it, the field is an array filed under what comes before that `[`;
 * - otherwise a `[` opens nothing and becomes `_`, like every space and dot in the name.
 * Checked against a real PHP by test/integration/php-names.test.ts.
 */
export function phpVariableName(name: string): string {
  const nul = name.indexOf('\0');
  const end = nul < 0 ? name.length : nul;
  let start = 0;
  while (start < end && name.charCodeAt(start) === SPACE) start += 1;
  const open = name.indexOf('[', start);
  const close = open < 0 || open >= end ? -1 : name.indexOf(']', open + 1);
  const last = close >= 0 && close < end ? open : end;
  let result = '';
  for (let index = start; index < last; index += 1) {
    const code = name.charCodeAt(index);
    result += code === SPACE || code === DOT || code === OPEN ? '_' : name.charAt(index);
  }
  return result;
}
