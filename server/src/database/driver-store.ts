// ApplicationStore straight over the database drivers, with prepared statements (on PostgreSQL, lookups made
// together sent as one): the server's cold path.
import type BetterSqlite3 from 'better-sqlite3';
import type * as Pg from 'pg';
import { requireOptional } from '../optional-dependency';
import { BATCH_LOOKUP_SQL, lookupSql, toRecord, type LookupRow } from 'twake-app-auth/internal';
import { postgresPoolConfig, type OpenDatabaseOptions } from './database';
import { providerOf, sqlitePath } from './database-url';
import type { ApplicationStore } from 'twake-app-auth';
import { batchedLookups, type BatchRow } from 'twake-app-auth/internal';
import { utcTimestampTypes } from './utc-timestamps';

/** A store that owns its connections. */
export interface DriverStore extends ApplicationStore {
  close(): Promise<void>;
}

function sqliteStore(url: string): DriverStore {
  const Database = requireOptional<typeof BetterSqlite3>('better-sqlite3', 'SQLite');
  const db = new Database(sqlitePath(url), { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 2000');
  // Prepared once; better-sqlite3 runs it synchronously in microseconds.
  const statement = db.prepare<[string | null, string], LookupRow>(lookupSql('positional'));
  return {
    async findApplication(publicId, companyId) {
      return toRecord(statement.all(companyId, publicId));
    },
    async close() {
      db.close();
    },
  };
}

function postgresStore(url: string, options: DriverStoreOptions): DriverStore {
  // expires_at is a zone-less TIMESTAMP holding UTC: read it as UTC whatever the process's TZ.
  const { Pool, types } = requireOptional<typeof Pg>('pg', 'PostgreSQL');
  const pool = new Pool({ ...postgresPoolConfig(url, options), types: utcTimestampTypes(types) });
  // A broken idle connection is replaced by the pool; the next lookup reports any lasting failure.
  pool.on('error', () => undefined);
  // Named statements are parsed and planned once per connection.
  const single = lookupSql('numbered');
  const findApplication = batchedLookups({
    one: async (publicId, companyId) => (await pool.query<LookupRow>({ name: 'twake_app_auth_lookup', text: single, values: [companyId, publicId] })).rows,
    many: async (publicIds, companyIds) => (await pool.query<BatchRow>({ name: 'twake_app_auth_lookup_batch', text: BATCH_LOOKUP_SQL, values: [publicIds, companyIds] })).rows,
    failedOnAValue: isDataException,
  });
  return { findApplication, close: () => pool.end() };
}

/**
 * SQLSTATE class 22, data exception: PostgreSQL refused a value, for instance a character that a database
 * in another encoding than UTF8 cannot hold ("€" in LATIN1), or U+0000.
 */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/** Options of {@link createDriverStore}. */
export interface DriverStoreOptions extends OpenDatabaseOptions {
  /** Revokes a key (the driver store only reads; pass the Prisma store's `revokeKey`). */
  revokeKey?: (applicationId: string, keyId: string) => Promise<unknown>;
}

/** Opens a lookup store on `url` (SQLite `file:` or `postgresql://`), migrated beforehand. */
export function createDriverStore(url: string, options: DriverStoreOptions = {}): DriverStore {
  const store = providerOf(url) === 'sqlite' ? sqliteStore(url) : postgresStore(url, options);
  return options.revokeKey === undefined ? store : { ...store, revokeKey: options.revokeKey };
}
