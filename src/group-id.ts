// Finds the company (`group_id`) in every place a request can carry it, and checks that they agree.
import { decodeComponent, formComponentIncludes } from './percent-decoding';
import { hasControlCharacters } from './control-characters';

/** Longest company id we accept, in characters. */
export const MAX_GROUP_ID_LENGTH = 128;

const FIELD = 'group_id';

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
 * Whether a key other than `group_id` would still be read as `group_id` by a qs-style parser: qs strips
 * the brackets of a leading `[group_id]` and nests `group_id[x]`, and with `allowDots` also `group_id.x`.
 * Express 4's default query parser and `query parser: 'extended'` are qs.
 */
export function aliasesGroupId(key: string): boolean {
  if (key === FIELD) return false;
  return key.split(/[[\].]/).find((segment) => segment !== '') === FIELD;
}

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
// and a key is copied only when it holds "group_id" and so may alias it. The next "=" and the next
// "group_id" are each searched for once and reused until passed, so the scan stays linear.
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
      if (nextName !== query.length && nextName < start) nextName = indexOrEnd(query, FIELD, start);
      if (nextName + FIELD.length <= equals && aliasesGroupId(query.slice(start, equals))) return AMBIGUOUS;
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

// The pairs of a query that needs decoding, split as URLSearchParams splits them. A pair that does not
// decode is left out, unless its key could be group_id under some reading: then the query is ambiguous.
function scanEncodedQuery(query: string): CompanySource {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const rawKey = equals < 0 ? part : part.slice(0, equals);
    // Decoding never lengthens a key: one shorter than group_id can be neither it nor an alias of it.
    if (rawKey.length < FIELD.length) continue;
    const key = decodeStrictly(rawKey);
    const value = decodeStrictly(equals < 0 ? '' : part.slice(equals + 1));
    if (key !== null && value !== null) pairs.push([key, value]);
    else if (formComponentIncludes(rawKey, FIELD)) return AMBIGUOUS;
  }
  return scanPairs(pairs);
}

// One pass over `query` split at `&`, decoding only when something is encoded.
const scanQuery = (query: string): CompanySource => (needsDecoding(query) ? scanEncodedQuery(query) : scanPlainQuery(query));

/**
 * Reads `group_id` from the raw query string of `url`, independently of the app's query parser. It is
 * ambiguous when a key repeats or a qs-style alias appears, when the query holds a `#` (a request target
 * has no fragment, RFC 9112 §3.2, so backends disagree on what follows it), or when reading `;` as a
 * separator too, as some parsers do, would name another company.
 */
export function fromQueryString(url: string): CompanySource {
  const question = url.indexOf('?');
  if (question < 0) return ABSENT;
  const query = url.slice(question + 1);
  // Parsers disagree on what follows a "#", and on a second "?" opening the query (part of the first key
  // for Express's parsers, dropped by URLSearchParams and qs with ignoreQueryPrefix): such a query is
  // refused when group_id appears in it at all.
  if (query.startsWith('?') || query.includes('#')) return decodeLoosely(query).includes(FIELD) ? AMBIGUOUS : ABSENT;
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

/** Reads `group_id` from an object the app parsed (a body, or `req.query`), whatever parser made it. */
export function fromParsed(parsed: unknown): CompanySource {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Buffer.isBuffer(parsed)) return ABSENT;
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) if (aliasesGroupId(key)) return AMBIGUOUS;
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
