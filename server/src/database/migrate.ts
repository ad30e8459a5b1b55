// Applies the checked-in migration SQL, or adopts tables the user's own migrations created, never touching `_prisma_migrations`.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type * as Pg from 'pg';
import { providerOf, sqlitePath, type Provider } from './database-url';
import { migrationObjects, presenceOf, type MigrationObjects, type MigrationPresence } from './migration-objects';
import { requireOptional } from '../optional-dependency';

/**
 * Folder holding `prisma/<provider>/migrations`: the library's, which ships the schema and its migrations
 * (one copy of the SQL, found wherever the package manager put the library).
 */
const PRISMA_FOLDER = join(dirname(require.resolve('twake-app-auth/package.json')), 'prisma');

/**
 * Our own record of migrations, on PostgreSQL, in a schema of its own: Prisma's drift check looks only at
 * the datasource's schema, so neither this table nor `_prisma_migrations` is shared with the user's
 * migrations. SQLite has a single namespace, where any table of ours would be drift to Prisma: there
 * the schema itself is the record (see {@link presenceOf}).
 */
const POSTGRES_BOOKKEEPING = `CREATE SCHEMA IF NOT EXISTS "twake_app_auth";
CREATE TABLE IF NOT EXISTS "twake_app_auth"."migrations" (
    "name" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "adopted" BOOLEAN NOT NULL,
    "finished_at" TIMESTAMPTZ NOT NULL DEFAULT now())`;

// Any constant: serialises concurrent migrators (several instances starting at once) on PostgreSQL.
const ADVISORY_LOCK_ID = 72_707_369;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
  objects: MigrationObjects;
}

/** What {@link migrateDatabase} did. */
export interface MigrationReport {
  /** Migrations whose SQL ran now. */
  applied: string[];
  /** Migrations whose objects were already there (created by the user's own migrations): recorded, not run. */
  adopted: string[];
}

/** The database holds part of a migration's objects only: neither applying nor adopting it is safe. */
export class SchemaMismatchError extends Error {
  constructor(migration: string, missing: readonly string[]) {
    super(
      `the database holds only part of migration ${migration} (missing: ${missing.join(', ')}); ` +
        'add what is missing (`twake-app-auth schema --sql --provider sqlite|postgresql` prints our SQL) or drop the partial tables, then migrate again',
    );
    this.name = 'SchemaMismatchError';
  }
}

/** The migrations shipped for a provider, in order. */
export function listMigrations(provider: Provider): Migration[] {
  const folder = join(PRISMA_FOLDER, provider, 'migrations');
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(folder, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex'), objects: migrationObjects(sql) };
    });
}

/** Applies, adopts or refuses one migration from what the database holds of it. */
function decideOn(migration: Migration, presence: MigrationPresence): 'apply' | 'adopt' {
  if (presence.state === 'partial') throw new SchemaMismatchError(migration.name, presence.missing);
  return presence.state === 'absent' ? 'apply' : 'adopt';
}

/**
 * Creates a SQLite file that only its owner can read (0600, in a 0700 folder when the folder is new): it
 * holds key digests and installations. SQLite gives its -wal and -shm files the database file's mode.
 * An existing file or folder keeps its mode.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

function migrateSqlite(url: string, migrations: Migration[]): MigrationReport {
  const path = sqlitePath(url);
  if (path !== ':memory:') createPrivateFile(path);
  const Database = requireOptional<typeof BetterSqlite3>('better-sqlite3', 'SQLite');
  const db = new Database(path);
  const report: MigrationReport = { applied: [], adopted: [] };
  try {
    db.pragma('journal_mode = WAL');
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck();
    const schemaObject = db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').pluck();
    const has = {
      columns: (table: string) => new Set(columns.all(table) as string[]),
      index: (name: string) => schemaObject.get('index', name) !== undefined,
      trigger: (name: string) => schemaObject.get('trigger', name) !== undefined,
    };
    for (const migration of migrations) {
      // BEGIN IMMEDIATE: a concurrent migrator waits, then finds the objects and adopts them.
      const action = db.transaction(() => {
        const chosen = decideOn(migration, presenceOf(migration.objects, has));
        if (chosen === 'apply') db.exec(migration.sql);
        return chosen;
      }).immediate();
      // Adoption is not reported on SQLite: with no record of its own, it happens at every run.
      if (action === 'apply') report.applied.push(migration.name);
    }
    return report;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<MigrationReport> {
  const { Client } = requireOptional<typeof Pg>('pg', 'PostgreSQL');
  const client = new Client({ connectionString: url });
  // A connection that dies is reported by the query it fails; unlistened, its 'error' event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  const report: MigrationReport = { applied: [], adopted: [] };
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_ID]);
    // Read without creating: a refused migration leaves the database as it found it.
    const { rows: bookkeeping } = await client.query<{ present: boolean }>(`SELECT to_regclass('"twake_app_auth"."migrations"') IS NOT NULL AS present`);
    const recorded = bookkeeping[0]?.present === true ? await client.query<{ name: string }>('SELECT "name" FROM "twake_app_auth"."migrations"') : { rows: [] };
    const done = new Set(recorded.rows.map((row) => row.name));
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      const presence = presenceOf(migration.objects, await postgresObjects(client, migration.objects));
      const action = decideOn(migration, presence);
      await client.query('BEGIN');
      try {
        await client.query(POSTGRES_BOOKKEEPING);
        if (action === 'apply') await client.query(migration.sql);
        await client.query('INSERT INTO "twake_app_auth"."migrations" ("name", "checksum", "adopted") VALUES ($1, $2, $3)', [
          migration.name,
          migration.checksum,
          action === 'adopt',
        ]);
        await client.query('COMMIT');
      } catch (error) {
        // The connection may be what failed: a ROLLBACK failing too must not hide why.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      (action === 'apply' ? report.applied : report.adopted).push(migration.name);
    }
    return report;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// The objects of the connection's current schema (where the migration SQL creates them).
async function postgresObjects(client: Pg.Client, objects: MigrationObjects) {
  const tables = [...objects.columns.keys()];
  const columns = await client.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)',
    [tables],
  );
  const indexes = await client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY($1)', [
    objects.indexes,
  ]);
  const triggers = await client.query<{ tgname: string }>(
    'SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND t.tgname = ANY($1)',
    [objects.triggers],
  );
  const indexNames = new Set(indexes.rows.map((row) => row.indexname));
  const triggerNames = new Set(triggers.rows.map((row) => row.tgname));
  return {
    columns: (table: string) => new Set(columns.rows.filter((row) => row.table_name === table).map((row) => row.column_name)),
    index: (name: string) => indexNames.has(name),
    trigger: (name: string) => triggerNames.has(name),
  };
}

/**
 * Brings the database at `url` to our schema: each migration is applied (its SQL, in a transaction) when
 * none of its objects exist, adopted when all of them do (your own Prisma migration created them), and
 * refused with a {@link SchemaMismatchError} when only some do.
 */
export async function migrateDatabase(url: string): Promise<MigrationReport> {
  const provider = providerOf(url);
  const migrations = listMigrations(provider);
  return provider === 'sqlite' ? migrateSqlite(url, migrations) : migratePostgres(url, migrations);
}

/** {@link migrateDatabase}, answering the names of the migrations applied now. */
export async function migrate(url: string): Promise<string[]> {
  return (await migrateDatabase(url)).applied;
}
