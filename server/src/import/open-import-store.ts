// Opens the import's store for DATABASE_URL: a writing one, or for --dry-run a read-only lookup that creates and migrates nothing.
import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type * as Pg from 'pg';
import { providerOf, sqlitePath } from '../database/database-url';
import { requireOptional } from '../optional-dependency';
import type { ExistingApplication, ImportStore } from './import-store';
import { openPostgresImportStore } from './postgres-import-store';
import { openSqliteImportStore } from './sqlite-import-store';

/** The one method a dry run needs. */
export type ReadOnlyImportStore = Pick<ImportStore, 'existing' | 'close'>;

/** A store that writes, on a database migrated already. */
export async function openImportStore(url: string): Promise<ImportStore> {
  return providerOf(url) === 'sqlite' ? openSqliteImportStore(sqlitePath(url)) : openPostgresImportStore(url);
}

const NOTHING: ReadOnlyImportStore = { existing: async () => new Map(), close: async () => undefined };

function sqliteLookup(path: string): ReadOnlyImportStore {
  if (path === ':memory:' || !existsSync(path)) return NOTHING;
  const Database = requireOptional<typeof BetterSqlite3>('better-sqlite3', 'SQLite');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const columns = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('applications') as string[]));
  if (!columns.has('public_id')) {
    db.close();
    return NOTHING;
  }
  const state = columns.has('import_state') ? '"import_state"' : 'NULL AS "import_state"';
  const find = db.prepare<[string], { id: string; import_state: string | null; capabilities: string | null; privileges: string | null }>(
    `SELECT "id", ${state}, ${columns.has('capabilities') ? '"capabilities", "privileges"' : "'' AS \"capabilities\", '' AS \"privileges\""} FROM "applications" WHERE "public_id" = ?`,
  );
  return {
    async existing(publicIds) {
      const found = new Map<string, ExistingApplication>();
      for (const publicId of publicIds) {
        const row = find.get(publicId);
        if (row !== undefined) found.set(publicId, { id: row.id, importState: row.import_state, capabilities: row.capabilities ?? '', privileges: row.privileges ?? '' });
      }
      return found;
    },
    close: async () => {
      db.close();
    },
  };
}

async function postgresLookup(url: string): Promise<ReadOnlyImportStore> {
  const { Client } = requireOptional<typeof Pg>('pg', 'PostgreSQL');
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const { rows } = await client.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'applications'",
  );
  const columns = new Set(rows.map((row) => row.column_name));
  if (!columns.has('public_id')) {
    await client.end();
    return NOTHING;
  }
  const state = columns.has('import_state') ? '"import_state"' : 'NULL AS "import_state"';
  return {
    async existing(publicIds) {
      const result = await client.query<{ public_id: string; id: string; import_state: string | null; capabilities: string; privileges: string }>(
        `SELECT "public_id", "id", ${state}, "capabilities", "privileges" FROM "applications" WHERE "public_id" = ANY($1::text[])`,
        [publicIds],
      );
      return new Map(result.rows.map((row): [string, ExistingApplication] => [row.public_id, { id: row.id, importState: row.import_state, capabilities: row.capabilities, privileges: row.privileges }]));
    },
    close: () => client.end().catch(() => undefined),
  };
}

/** A lookup that only reads: no file, no migration, no row (a database that does not exist yet reads as empty). */
export async function openReadOnlyImportStore(url: string): Promise<ReadOnlyImportStore> {
  return providerOf(url) === 'sqlite' ? sqliteLookup(sqlitePath(url)) : postgresLookup(url);
}
