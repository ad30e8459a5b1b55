// Applies the checked-in migration SQL files, recording them as Prisma does in `_prisma_migrations`.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type * as Pg from 'pg';
import { requireOptional } from './optional-dependency';
import { providerOf, sqlitePath, type Provider } from './database-url';

/** Folder holding `prisma/<provider>/migrations`. */
const PRISMA_FOLDER = join(__dirname, '..', 'prisma');

// Same table as `prisma migrate deploy` creates, so that `prisma migrate status` agrees with us.
const MIGRATIONS_TABLE: Record<Provider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

// Any constant: serialises concurrent migrators (several instances starting at once) on PostgreSQL.
const ADVISORY_LOCK_ID = 72_707_369;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
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
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

function migrateSqlite(url: string, migrations: Migration[]): string[] {
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const Database = requireOptional<typeof BetterSqlite3>('better-sqlite3', 'SQLite');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS_TABLE.sqlite);
    const done = new Set(
      db.prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL').pluck().all() as string[],
    );
    const applied: string[] = [];
    const record = db.prepare(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)',
    );
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      // BEGIN IMMEDIATE: a concurrent migrator waits instead of applying the same file twice.
      db.transaction(() => {
        const started = Date.now();
        db.exec(migration.sql);
        record.run(randomUUID(), migration.checksum, migration.name, started, Date.now());
      }).immediate();
      applied.push(migration.name);
    }
    return applied;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const { Client } = requireOptional<typeof Pg>('pg', 'PostgreSQL');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_ID]);
    await client.query(MIGRATIONS_TABLE.postgresql);
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const done = new Set(rows.map((row) => row.migration_name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 1)',
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migration to the database at `url`, each in its own transaction, once.
 *
 * @returns the names of the migrations applied now (empty when the database was up to date).
 */
export async function migrate(url: string): Promise<string[]> {
  const provider = providerOf(url);
  const migrations = listMigrations(provider);
  return provider === 'sqlite' ? migrateSqlite(url, migrations) : migratePostgres(url, migrations);
}
