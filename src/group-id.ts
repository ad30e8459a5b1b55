// Finds the company (`group_id`) of a request in its body and its query string.
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

// What one source (body or query) says: absent, unusable, or one candidate value.
type SourceValue = { found: false } | { found: true; value: unknown };
const ABSENT: SourceValue = { found: false };

function isBracketedKey(key: string): boolean {
  return key.startsWith(`${FIELD}[`);
}

/**
 * Reads `group_id` from the raw query string, independently of the app's query parser: a repeated key
 * or a bracketed one (`group_id[]`, `group_id[x]`) counts as an array.
 */
function fromQueryString(url: string): SourceValue {
  const question = url.indexOf('?');
  if (question < 0) return ABSENT;
  const hash = url.indexOf('#', question);
  const params = new URLSearchParams(url.slice(question + 1, hash < 0 ? undefined : hash));
  const values: string[] = [];
  let bracketed = false;
  for (const [key, value] of params) {
    if (key === FIELD) values.push(value);
    else if (isBracketedKey(key)) bracketed = true;
  }
  if (bracketed || values.length > 1) return { found: true, value: values };
  return values.length === 1 ? { found: true, value: values[0] } : ABSENT;
}

/** Reads `group_id` from a parsed JSON or urlencoded body (any parser: repeated or bracketed keys are arrays). */
function fromBody(body: unknown): SourceValue {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return ABSENT;
  const record = body as Record<string, unknown>;
  if (Object.keys(record).some(isBracketedKey)) return { found: true, value: [] };
  if (!Object.prototype.hasOwnProperty.call(record, FIELD)) return ABSENT;
  return { found: true, value: record[FIELD] };
}

/** Whether a value can be a company id: one non-empty string, bounded, without control characters. */
export function isValidCompanyId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_GROUP_ID_LENGTH &&
    !hasControlCharacters(value)
  );
}

/**
 * Extracts the company id from a request's body and URL. Both may carry it; then they must agree.
 *
 * @param body - the parsed body (`req.body`), whatever its type.
 * @param url - the request URL with its query string (`req.originalUrl`).
 */
export function extractGroupId(body: unknown, url: string): GroupIdResult {
  const inBody = fromBody(body);
  const inQuery = fromQueryString(url);
  if (!inBody.found && !inQuery.found) return MISSING;
  if (inBody.found && !isValidCompanyId(inBody.value)) return INVALID;
  if (inQuery.found && !isValidCompanyId(inQuery.value)) return INVALID;
  if (inBody.found && inQuery.found && inBody.value !== inQuery.value) return INVALID;
  const value = inBody.found ? inBody.value : inQuery.found ? inQuery.value : undefined;
  return { status: 'ok', companyId: value as string };
}
