// The SQL of a cold lookup, shared by the Prisma store and the driver stores, and its batched form.
import { splitList } from './stored-lists';
import type { ApplicationRecord, StoredKey } from '../core/types';
import { digestFromHex } from '../core/secrets';

// The columns read, and how the installation and the keys are joined to the application `a`.
const COLUMNS = `a."id", a."public_id", a."name", a."enabled", a."allowed_ips", a."capabilities", a."privileges",
          k."id" AS "key_id", k."digest", k."expires_at",
          i."application_id" AS "installed_application_id", i."granted_capabilities", i."granted_privileges"`;
const INSTALLATION_JOIN = `LEFT JOIN "installations" i ON i."application_id" = a."id" AND i."company_id" = `;
const KEYS_JOIN = `LEFT JOIN "application_keys" k ON k."application_id" = a."id" AND k."revoked_at" IS NULL`;

/**
 * Text of the statement around its two parameters (company id, then public id), as a template strings
 * array so that Prisma's `$queryRaw` can take it directly. One statement, hence one round trip: the
 * application by its unique public id, the installation (and its grants) on the (application, company)
 * primary key, and the non-revoked keys through the indexed `application_id`.
 */
const parts = [
  `SELECT ${COLUMNS}
     FROM "applications" a
     ${INSTALLATION_JOIN}`,
  `
     ${KEYS_JOIN}
    WHERE a."public_id" = `,
  '',
];
export const LOOKUP_TEMPLATE: TemplateStringsArray = templateOf(parts);

/** The statement with numbered (`$1`, PostgreSQL) or positional (`?`, SQLite) parameters. */
export function lookupSql(placeholders: 'numbered' | 'positional'): string {
  return parts.reduce((sql, part, index) => (index === 0 ? part : `${sql}${placeholders === 'numbered' ? `$${index}` : '?'}${part}`), '');
}

/**
 * The lookup for several (public id, company) pairs at once, PostgreSQL only: `$1` the public ids, `$2`
 * the companies (text arrays of equal length), each row tagged with the 1-based `position` of the pair
 * it answers. Each pair runs the single statement itself, through LATERAL: joined flat instead, the
 * planner looked the installation up by application alone and filtered on the company, reading every
 * installation of an application installed in many companies (4 ms for 30,000, against 0.2).
 */
export const BATCH_LOOKUP_SQL = `SELECT q."position", r.*
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q("public_id", "company_id", "position")
     CROSS JOIN LATERAL (${parts[0]}q."company_id"${parts[1]}q."public_id"${parts[2]}) r`;

/** {@link BATCH_LOOKUP_SQL} as a template strings array around its two parameters, for Prisma's `$queryRaw`. */
export const BATCH_LOOKUP_TEMPLATE: TemplateStringsArray = templateOf(BATCH_LOOKUP_SQL.split(/\$[12](?!\d)/));

/**
 * The batched lookup for SQLite, which has neither LATERAL nor arrays: `count` (public id, company) pairs
 * bound as the rows of a VALUES list, each row of the answer tagged with the 1-based `position` of its
 * pair. Each pair is joined as the single statement joins its two parameters: the application whose
 * `public_id` equals the pair's, its installation in the pair's company (none for a null company), its
 * non-revoked keys. As a template strings array around 2 × `count` parameters (each pair's public id,
 * then its company), for `$queryRaw`.
 */
export function sqliteBatchTemplate(count: number): TemplateStringsArray {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('sqliteBatchTemplate needs 1 pair or more');
  const strings = ['WITH q("position", "public_id", "company_id") AS (VALUES (1, '];
  for (let position = 1; position <= count; position += 1) strings.push(', ', position === count ? '' : `), (${position + 1}, `);
  strings[strings.length - 1] = `))
   SELECT q."position", ${COLUMNS}
     FROM q
     JOIN "applications" a ON a."public_id" = q."public_id"
     ${INSTALLATION_JOIN}q."company_id"
     ${KEYS_JOIN}`;
  return templateOf(strings);
}

function templateOf(strings: readonly string[]): TemplateStringsArray {
  return Object.assign([...strings], { raw: [...strings] });
}

/** One row per usable key (or one row with null key columns for an application without keys). */
export interface LookupRow {
  id: string;
  public_id: string;
  name: string;
  enabled: unknown;
  key_id: string | null;
  digest: string | null;
  expires_at: unknown;
  allowed_ips: string | null;
  /** What the application declares now: an installation grants nothing beyond it. */
  capabilities: string | null;
  privileges: string | null;
  installed_application_id: string | null;
  granted_capabilities: string | null;
  granted_privileges: string | null;
}

/** A stored comma-separated list (capabilities, privileges, allowed IPs) as a frozen array. */
export function listOf(text: string | null | undefined): readonly string[] {
  return text ? Object.freeze(splitList(text)) : EMPTY;
}
const EMPTY: readonly string[] = Object.freeze([]);

/**
 * What an installation grants, within what the application declares now: a declaration narrowed after the
 * installation narrows it at once, whatever wrote the rows (the admin API also narrows the stored grants).
 */
function withinDeclared(granted: string | null, declared: string | null): readonly string[] {
  const names = listOf(granted);
  if (names.length === 0) return names;
  const allowed = listOf(declared);
  return names.every((name) => allowed.includes(name)) ? names : Object.freeze(names.filter((name) => allowed.includes(name)));
}

// Drivers differ: SQLite gives 0/1 (number or bigint), PostgreSQL gives booleans.
function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === '1' || value === 't';
}

// Drivers differ: Date, epoch milliseconds or ISO-8601 text.
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  let date: Date | null = null;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number' || typeof value === 'bigint') date = new Date(Number(value));
  else if (typeof value === 'string') date = new Date(/^\d+$/.test(value) ? Number(value) : Date.parse(value));
  // An unreadable expiry must not make a key eternal (an Invalid Date compares false with every time):
  // treat it as already expired.
  return date === null || Number.isNaN(date.getTime()) ? new Date(0) : date;
}

/** Folds the rows of one lookup into a record; null when there are none (unknown public id). */
export function toRecord(rows: readonly LookupRow[]): ApplicationRecord | null {
  const first = rows[0];
  if (first === undefined) return null;
  const keys: StoredKey[] = [];
  for (const row of rows) {
    if (row.key_id === null || row.digest === null) continue;
    keys.push({ id: row.key_id, digest: digestFromHex(row.digest), expiresAt: toDate(row.expires_at) });
  }
  return {
    id: first.id,
    publicId: first.public_id,
    name: first.name,
    enabled: toBoolean(first.enabled),
    keys,
    installed: first.installed_application_id !== null,
    granted: Object.freeze({ capabilities: withinDeclared(first.granted_capabilities, first.capabilities), privileges: withinDeclared(first.granted_privileges, first.privileges) }),
    allowedIps: listOf(first.allowed_ips),
  };
}
