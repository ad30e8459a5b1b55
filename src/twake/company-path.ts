// Finds the company of Twake's Node-era routes, `/:service/:version/companies/:company_id/…`, and any
// `company_id` a query or body names beside it.
import { ABSENT, AMBIGUOUS, PROTOTYPE_KEY, type CompanySource } from '../core/group-id';
import { decodeComponent } from '../core/percent-decoding';
import { originFormOf } from './twake-v1';

const FIELD = 'company_id';
const COMPANIES = 'companies';
// The words in any ASCII case, as `toLowerCase().includes(word)` finds them (no other character lower-cases
// into them: U+0130 becomes "i" and a combining dot), without a lower-cased copy of the URL per request.
const COMPANIES_ANY_CASE = /companies/i;
const COMPANY_ANY_CASE = /company/i;

/**
 * A path's segments as a router may read them: escapes decoded per segment, backslashes as slashes,
 * empty and `.` segments dropped, `..` resolved. Null when a segment cannot be decoded.
 */
export function segmentsOf(path: string): string[] | null {
  const resolved: string[] = [];
  for (const raw of path.replaceAll('\\', '/').split('/')) {
    const segment = raw.includes('%') ? decodeComponent(raw) : raw;
    if (segment === null) return null;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') resolved.pop();
    else resolved.push(segment);
  }
  return resolved;
}

function hasDotSegment(path: string): boolean {
  return path
    .replaceAll('\\', '/')
    .split('/')
    .some((raw) => {
      const segment = raw.includes('%') ? (decodeComponent(raw) ?? raw) : raw;
      return segment === '.' || segment === '..';
    });
}

/** Where `segments` read as `service/version/companies/:company_id`, its company; undefined otherwise. */
function companyAt(segments: readonly string[], start: number): string | undefined {
  const word = segments[start + 2];
  return word !== undefined && word.toLowerCase() === COMPANIES ? segments[start + 3] : undefined;
}

/**
 * The company in the path of a Node-era route: `/api/:service/:version/companies/:company_id/…` anywhere
 * in the path, or, relative to where the middleware is mounted, `/:service/:version/companies/:company_id/…`.
 * Ambiguous when the path cannot be decoded or its two readings name different companies.
 */
export function fromCompanyPath(target: string): CompanySource {
  // Most paths name no company: said without splitting them (a path of 64 KB of slashes would otherwise
  // cost milliseconds, before any credential is checked). An escape could spell the word: read those.
  if (!target.includes('%') && !COMPANIES_ANY_CASE.test(target)) return ABSENT;
  // An absolute-form target is routed by its path: its scheme and authority are not segments.
  const path = originFormOf(target);
  const question = path.indexOf('?');
  const pathOnly = question < 0 ? path : path.slice(0, question);
  const segments = segmentsOf(pathOnly);
  if (segments === null) return path.toLowerCase().includes(COMPANIES) ? AMBIGUOUS : ABSENT;
  const namesCompanies = segments.some((segment) => segment.toLowerCase() === COMPANIES);
  // A proxy that resolves `/companies/a/../b/` forwards b, a router that does not (Twake's) reads a:
  // a company path with a dot segment is refused rather than read one way. So is one with a backslash,
  // which URL parsers read as a slash and Express's router as part of a segment (`/companies/a\b/`).
  if (namesCompanies && (hasDotSegment(pathOnly) || pathOnly.includes('\\'))) return AMBIGUOUS;
  const api = segments.findIndex((segment) => segment.toLowerCase() === 'api');
  const fromApi = api < 0 ? undefined : companyAt(segments, api + 1);
  const relative = companyAt(segments, 0);
  if (fromApi !== undefined && relative !== undefined && fromApi !== relative) return AMBIGUOUS;
  const found = fromApi ?? relative;
  return found === undefined ? ABSENT : { found: true, value: found };
}

// qs reads `[company_id]`, `company_id[x]` and (allowDots) `company_id.x` as company_id; PHP reads
// `company.id` and `company id` so: any such key is refused rather than guessed.
const aliasesCompanyId = (key: string): boolean => key !== FIELD && /^[[\].\s]*company[_.\s[]id(?:[[.\]]|$)/.test(key);

// Whether "company" appears in a key of `query`: between the start or a separator (& ; # ?) and the next "=".
function keyHoldsCompany(query: string): boolean {
  let inKey = true;
  for (let index = 0; index < query.length; index += 1) {
    const code = query.charCodeAt(index);
    if (code === 0x26 || code === 0x3b || code === 0x23 || code === 0x3f) inKey = true;
    else if (code === 0x3d) inKey = false;
    else if (inKey && code === 0x63 && query.startsWith('company', index)) return true;
  }
  return false;
}

/** `company_id` in the raw query of `url`: absent, one value, or ambiguous (repeated, aliased, undecodable). */
export function companyIdFromQuery(url: string): CompanySource {
  const question = url.indexOf('?');
  if (question < 0) return ABSENT;
  const query = url.slice(question + 1);
  // Without escapes, keys are read as written ("+" a space): only a key holding "company" can be company_id
  // or an alias of it. An escape can spell the word (`%63ompany_id`): such a query is read in full.
  if (!query.includes('%') && !(COMPANY_ANY_CASE.test(query) && keyHoldsCompany(query))) return ABSENT;
  let found: CompanySource = ABSENT;
  for (const pair of query.split(/[&;#?]/)) {
    const equals = pair.indexOf('=');
    const key = decodeComponent((equals < 0 ? pair : pair.slice(0, equals)).replaceAll('+', ' '));
    const value = equals < 0 ? '' : decodeComponent(pair.slice(equals + 1).replaceAll('+', ' '));
    if (key === null || value === null) {
      if (pair.toLowerCase().includes('company')) return AMBIGUOUS;
      continue;
    }
    if (aliasesCompanyId(key)) return AMBIGUOUS;
    if (key !== FIELD) continue;
    if (found.found) return AMBIGUOUS;
    found = { found: true, value };
  }
  return found;
}

/** `company_id` in an object the app parsed (a body, `req.query`); ambiguous with a key read as it. */
export function companyIdFromParsed(parsed: unknown): CompanySource {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Buffer.isBuffer(parsed)) return ABSENT;
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) if (aliasesCompanyId(key) || key === PROTOTYPE_KEY) return AMBIGUOUS;
  return Object.prototype.hasOwnProperty.call(record, FIELD) ? { found: true, value: record[FIELD] } : ABSENT;
}
