// Finds the company (`group_id`) in every place a request can carry it, and checks that they agree.
import { decodeComponent, projectFormComponent } from './percent-decoding';
import { hasControlCharacters } from './control-characters';
import { phpVariableName } from '../twake/php-variable-name';

/** Longest company id we accept, in characters. */
export const MAX_GROUP_ID_LENGTH = 128;

const FIELD = 'group_id';
// Every key a parser reads as group_id holds "group": qs and PHP only drop or replace characters around it
// or after it. Keys without it are never copied out of a query.
const STEM = 'group';

/** The company a request names, or why it names none. */
export type GroupIdResult =
  | { readonly status: 'missing' }
  | { readonly status: 'invalid' }
  | { readonly status: 'ok'; readonly companyId: string };

const MISSING = Object.freeze({ status: 'missing' as const });
const INVALID = Object.freeze({ status: 'invalid' as const });

/** What one place (body, query, header) says: nothing, or one candidate value (valid or not). */
export type CompanySource = { readonly found: false } | { readonly found: true; readonly value: unknown };
export const ABSENT: CompanySource = Object.freeze({ found: false });
/** Stands for "this place names the company in a way we refuse" (repeated or aliased keys). */
export const AMBIGUOUS: CompanySource = Object.freeze({ found: true, value: Object.freeze([]) });

/**
 * Whether a key (decoded, `+` a space) other than `group_id` would still be read as `group_id`:
 * - by a qs-style parser, which strips the brackets of a leading `[group_id]` and nests `group_id[x]`, and
 *   with `allowDots` also `group_id.x` (Express 4's default query parser and `query parser: 'extended'`);
 * - by PHP, which files `group.id`, `group id`, ` group_id`, `group[id`, `group_id` + NUL + anything and
 *   `group.id[x]` under `group_id` (see phpVariableName).
 */
export function aliasesGroupId(key: string): boolean {
  if (key === FIELD || key.length < FIELD.length || !key.includes(STEM)) return false;
  return qsReadsAsGroupId(key) || phpVariableName(key) === FIELD;
}

const isQsSeparator = (code: number): boolean => code === 0x5b || code === 0x5d || code === 0x2e; // [ ] .

// Whether qs files `key` under group_id: its first non-empty segment between "[", "]" and "." is group_id.
function qsReadsAsGroupId(key: string): boolean {
  let start = 0;
  while (start < key.length && isQsSeparator(key.charCodeAt(start))) start += 1;
  const after = start + FIELD.length;
  return key.startsWith(FIELD, start) && (after === key.length || isQsSeparator(key.charCodeAt(after)));
}

/**
 * Whether a key that is not decoded (its escapes are not UTF-8, so qs keeps it as it came) may still be
 * read as `group_id`: by a parser that puts U+FFFD in place of what it cannot decode, or keeps it, around
 * an ASCII `group_id`, or by PHP, which decodes every escape to its byte.
 */
function mayReadAsGroupId(rawKey: string): boolean {
  const projected = projectFormComponent(rawKey);
  return projected.includes(FIELD) || phpVariableName(projected) === FIELD;
}

// Whether PHP, decoding every escape of a key to its byte ("+" a space), reads `rawKey` as group_id.
const phpDecodesAsGroupId = (rawKey: string): boolean => phpVariableName(projectFormComponent(rawKey)) === FIELD;

// What a scan found: the value of a single group_id, ambiguous when it repeats.
function sourceOf(count: number, value: string | undefined): CompanySource {
  if (count > 1) return AMBIGUOUS;
  return count === 1 ? { found: true, value } : ABSENT;
}

// One pass over decoded pairs: ambiguous on a repeated key or any alias of group_id.
function scanPairs(pairs: Iterable<[string, string]>): CompanySource {
  let value: string | undefined;
  let count = 0;
  for (const [key, item] of pairs) {
    if (key === FIELD) {
      value = item;
      count += 1;
    } else if (aliasesGroupId(key)) {
      return AMBIGUOUS;
    }
  }
  return sourceOf(count, value);
}

/** Whether `text` holds "%" or "+" from `start` on: then a query needs decoding. */
export function needsDecoding(text: string, start = 0): boolean {
  for (let index = start; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x25 || code === 0x2b) return true;
  }
  return false;
}

// The same pass over a query with nothing encoded (the common case), read in place: no pair is split out,
// and a key is copied only when it holds "group" and is long enough to be read as group_id. The next "="
// and the next "group" are each searched for once and reused until passed, so the scan stays linear.
function scanPlainQuery(query: string): CompanySource {
  let value: string | undefined;
  let count = 0;
  let nextEquals = -1;
  let nextName = -1;
  for (let start = 0; start < query.length; ) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (nextEquals !== query.length && nextEquals < start) nextEquals = indexOrEnd(query, '=', start);
    const equals = Math.min(nextEquals, end);
    if (equals - start === FIELD.length && query.startsWith(FIELD, start)) {
      value = equals === end ? '' : query.slice(equals + 1, end);
      count += 1;
    } else {
      if (nextName !== query.length && nextName < start) nextName = indexOrEnd(query, STEM, start);
      if (nextName + STEM.length <= equals && equals - start >= FIELD.length && aliasesGroupId(query.slice(start, equals))) return AMBIGUOUS;
    }
    start = end + 1;
  }
  return sourceOf(count, value);
}

function indexOrEnd(text: string, search: string, from: number): number {
  const index = text.indexOf(search, from);
  return index < 0 ? text.length : index;
}

// One key or value of a query, decoded as URLSearchParams decodes it ('+' is a space), or null when its
// percent-encoding is not UTF-8 (or not percent-encoding): parsers disagree on what that names.
// URLSearchParams and node:querystring put U+FFFD in its place, qs keeps the text as it came, PHP keeps
// the bytes: a backend could act on another company than the one checked.
function decodeStrictly(text: string): string | null {
  if (!needsDecoding(text)) return text;
  return decodeComponent(text.replaceAll('+', ' '));
}

// The pairs of a query that needs decoding, split as URLSearchParams (and PHP) split them. A pair that
// does not decode is left out, unless its key could be group_id under some reading: then the query is
// ambiguous.
function scanEncodedQuery(query: string): CompanySource {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const rawKey = equals < 0 ? part : part.slice(0, equals);
    // Decoding never lengthens a key: one shorter than group_id can be neither it nor an alias of it (PHP
    // and qs only drop characters or replace one with one).
    if (rawKey.length < FIELD.length) continue;
    const key = decodeStrictly(rawKey);
    const value = decodeStrictly(equals < 0 ? '' : part.slice(equals + 1));
    if (key !== null && value !== null) pairs.push([key, value]);
    else if (mayReadAsGroupId(rawKey)) return AMBIGUOUS;
  }
  return scanPairs(pairs);
}

// One pass over `query` split at `&`, decoding only when something is encoded.
const scanQuery = (query: string): CompanySource => (needsDecoding(query) ? scanEncodedQuery(query) : scanPlainQuery(query));

/**
 * Reads `group_id` from the raw query string of `url`, independently of the app's query parser. It is
 * ambiguous when a key repeats or another key qs or PHP reads as group_id appears (see aliasesGroupId),
 * when the query holds a `#` (a request target has no fragment, RFC 9112 §3.2, so backends disagree on
 * what follows it), or when reading `;` as a separator too, as some parsers do, would name another company.
 */
export function fromQueryString(url: string): CompanySource {
  const question = url.indexOf('?');
  if (question < 0) return ABSENT;
  const query = url.slice(question + 1);
  // Parsers disagree on what follows a "#", and on a second "?" opening the query (part of the first key
  // for Express's parsers, dropped by URLSearchParams and qs with ignoreQueryPrefix): such a query is
  // refused when group_id appears in it at all, or a key PHP reads as group_id.
  if (query.startsWith('?') || query.includes('#')) return namesGroupIdLoosely(query) ? AMBIGUOUS : ABSENT;
  const found = scanQuery(query);
  if (!query.includes(';')) return found;
  const semicolons = scanQuery(query.replaceAll(';', '&'));
  const same = found.found === semicolons.found && (!found.found || (semicolons.found && found.value === semicolons.value));
  return same ? found : AMBIGUOUS;
}

// Percent-decoding that never throws, to look for a name whatever its encoding.
function decodeLoosely(text: string): string {
  return decodeComponent(text.replaceAll('+', ' ')) ?? text;
}

// Whether a query that parsers split differently names group_id under any of their readings: anywhere in
// its decoded text, or as a key PHP reads as group_id, whatever separator ends the key before it.
function namesGroupIdLoosely(query: string): boolean {
  if (decodeLoosely(query).includes(FIELD)) return true;
  return query.split(/[&;#?]/).some((part) => {
    const equals = part.indexOf('=');
    return mayReadAsGroupId(equals < 0 ? part : part.slice(0, equals));
  });
}

/**
 * Reads `group_id` from the text of a urlencoded body, by the rules of a query: body-parser's qs keeps
 * what it cannot decode as it came (`%FF`) and files `[group_id]` under group_id, where PHP reads the byte
 * and nothing; the parsed body alone would not show that they disagree. A body is split at "&" only.
 */
export function fromForm(text: string): CompanySource {
  return scanQuery(text);
}

/**
 * An own `__proto__` member (JSON.parse keeps it as a plain key) becomes the prototype of any copy a
 * handler makes by assignment (`Object.assign({}, body)`, a for…in copy, a shallow merge): a `group_id`
 * inside it is then read as the body's own. No company can be read with certainty from such a body.
 */
export const PROTOTYPE_KEY = '__proto__';

/**
 * Reads `group_id` from an object the app parsed (a body, or `req.query`), whatever parser made it. A key
 * read as group_id by qs or PHP is refused, and so is a key left with escapes (qs keeps a key it cannot
 * decode as it came) that PHP, decoding it, would read as group_id.
 */
export function fromParsed(parsed: unknown): CompanySource {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Buffer.isBuffer(parsed)) return ABSENT;
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) if (aliasesGroupId(key) || (key.includes('%') && phpDecodesAsGroupId(key)) || key === PROTOTYPE_KEY) return AMBIGUOUS;
  if (!Object.prototype.hasOwnProperty.call(record, FIELD)) return ABSENT;
  return { found: true, value: record[FIELD] };
}

/**
 * Whether a value can be a company id: one non-empty string, bounded, without control characters, and
 * well-formed Unicode. A lone surrogate (JSON allows `"\ud800"`) has no UTF-8 form: a database driver
 * would look up U+FFFD in its place, another company than the one the backend is handed.
 */
export function isValidCompanyId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_GROUP_ID_LENGTH &&
    !hasControlCharacters(value) &&
    (value as string & { isWellFormed(): boolean }).isWellFormed()
  );
}

/**
 * The company named by every place that names one: missing when none does, invalid when one of them is
 * not a valid company id or when two disagree.
 */
export function agreeOnCompany(sources: readonly CompanySource[]): GroupIdResult {
  let companyId: string | undefined;
  for (const source of sources) {
    if (!source.found) continue;
    if (!isValidCompanyId(source.value)) return INVALID;
    if (companyId !== undefined && companyId !== source.value) return INVALID;
    companyId = source.value;
  }
  return companyId === undefined ? MISSING : { status: 'ok', companyId };
}

/**
 * Extracts the company id from a parsed body and a URL. Both may carry it; then they must agree.
 *
 * @param body - the parsed body (`req.body`), whatever its type.
 * @param url - the request URL with its query string (`req.originalUrl`).
 */
export function extractGroupId(body: unknown, url: string): GroupIdResult {
  return agreeOnCompany([fromParsed(body), fromQueryString(url)]);
}
