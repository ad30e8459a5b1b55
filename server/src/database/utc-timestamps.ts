// node-postgres type parsing that reads zone-less timestamps as UTC, for the pools that ask for it.
import type { CustomTypesConfig, types as PgTypes } from 'pg';

/** OID of PostgreSQL's `timestamp without time zone` (Prisma's `DateTime` column type). */
const TIMESTAMP_OID = 1114;

/**
 * Reads PostgreSQL's text form of a `timestamp` ('2026-11-29 08:44:54.526') as UTC, which is what Prisma
 * writes there. node-postgres reads it as local time by default, which moves every instant by the
 * process's UTC offset. Forms Prisma never writes ('infinity', BC or five-digit years) give an Invalid Date.
 */
export function parseUtcTimestamp(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

/**
 * Type parsers for a `Pool` or `Client` config (`types` option): UTC for `timestamp`, node-postgres's
 * (possibly application-customised) parsers for everything else. The global `pg.types` is left alone.
 * `types` is node-postgres's `pg.types`, passed in so that loading this file does not load pg.
 */
export function utcTimestampTypes(types: typeof PgTypes): CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === TIMESTAMP_OID && format !== 'binary' ? parseUtcTimestamp : types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
  };
}
