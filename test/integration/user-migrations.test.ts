// A user's project that owns its Prisma migrations: our tables created by the user's migration, then our CLI and server on it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import request from 'supertest';
import { createAdmin } from '../../src/admin/admin';
import { openDatabase } from '../../server/src/database/database';
import { createTestApplication } from '../../src/testing';
import { listenForChanges } from '../../src/stores/postgres-changes';
import { createCachedStore } from '../../src/stores/cached-store';
import { createDriverStore } from '../../server/src/database/driver-store';
import type { Provider } from '../../server/src/database/database-url';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { describeOnPostgres } from '../helpers/describe-on-postgres';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';

const FIXTURES = join(__dirname, '..', 'fixtures', 'user-project');
const USER_MIGRATION = '20261201000000_user_init';

/** The user's `prisma migrate deploy`: their migration SQL, recorded in their own `_prisma_migrations`. */
async function applyUserMigration(provider: Provider, url: string, sql: string): Promise<void> {
  const record = `CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY, "migration_name" TEXT NOT NULL);
    INSERT INTO "_prisma_migrations" VALUES ('1', '${USER_MIGRATION}');`;
  await onDatabase(provider, url, `${sql}\n${record}`);
}

async function onDatabase<T>(provider: Provider, url: string, sql: string, read?: string): Promise<T[]> {
  if (provider === 'sqlite') {
    const db = new Database(url.slice('file:'.length));
    try {
      if (sql !== '') db.exec(sql);
      return read === undefined ? [] : (db.prepare(read).all() as T[]);
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    if (sql !== '') await client.query(sql);
    return read === undefined ? [] : (await client.query(read)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Tables Prisma's drift check sees: the user's schema (PostgreSQL `public`, the whole SQLite file). */
async function userVisibleTables(provider: Provider, url: string): Promise<string[]> {
  const query =
    provider === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
      : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";
  return (await onDatabase<{ name: string }>(provider, url, '', query)).map((row) => row.name);
}

describe.each(testProviders())('a user project owning its migrations (%s)', (provider) => {
  let drop: (() => Promise<void>) | null = null;
  let server: ServerProcess | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
    await drop?.();
    drop = null;
  });

  async function userDatabase(withTriggers: boolean): Promise<string> {
    const empty = await createEmptyDatabaseUrl(provider);
    drop = empty.drop;
    let sql = readFileSync(join(FIXTURES, `${provider}.migration.sql`), 'utf8');
    // The README's step: the change triggers appended to the user's migration.
    if (withTriggers) sql += `\n${(await runCli(['schema', '--sql', '--provider', 'postgresql', '--triggers'], {})).stdout}`;
    await applyUserMigration(provider, empty.url, sql);
    return empty.url;
  }

  it('should adopt the tables, leave _prisma_migrations and the user schema alone, and serve from them', async () => {
    const url = await userDatabase(provider === 'postgresql');
    const tablesBefore = await userVisibleTables(provider, url);
    const env = { DATABASE_URL: url };

    const migrated = await cliJson<{ applied: string[]; adopted: string[] }>(['migrate'], env);
    expect(migrated.applied).toEqual([]);
    expect(migrated.adopted).toEqual(provider === 'postgresql' ? ['20261128000000_init', '20261129000000_change_notifications', '20261130000000_capabilities', '20261203000000_signing_keys', '20261204000000_import_tracking'] : []);
    // Again: nothing to do.
    expect(await cliJson(['migrate'], env)).toEqual({ applied: [], adopted: [] });

    const created = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'In a user project'], env);
    await cliJson(['app', 'install', created.publicId, '--company', 'acme'], env);
    server = await startServer({ ...env, NODE_ENV: 'development', LOG_LEVEL: 'info' });
    const answer = await request(server.url).get('/api/v1/auth/test?group_id=acme').auth(created.publicId, created.privateKey);
    expect(answer.status).toBe(200);
    expect(answer.body.company).toEqual({ id: 'acme' });

    // Nothing Prisma's drift check could see was added, and the user's migration history is theirs alone.
    expect(await userVisibleTables(provider, url)).toEqual(tablesBefore);
    expect(await onDatabase(provider, url, '', 'SELECT migration_name FROM "_prisma_migrations"')).toEqual([{ migration_name: USER_MIGRATION }]);
  });

  it('should refuse, naming what is missing, a database holding only part of our tables', async () => {
    const url = await userDatabase(false);
    await onDatabase(provider, url, provider === 'sqlite' ? 'DROP TABLE "installations"' : 'DROP TABLE "installations" CASCADE');
    const run = await runCli(['migrate'], { DATABASE_URL: url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^twake-app-auth: the database holds only part of migration 20261128000000_init \(missing: installations\.application_id, installations\.company_id, installations\.created_at\)/);
    expect(run.stderr).toContain('`twake-app-auth schema --sql --provider sqlite|postgresql`');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    // Refused means nothing written: not even our bookkeeping.
    if (provider === 'postgresql') {
      expect(await onDatabase(provider, url, '', "SELECT nspname FROM pg_namespace WHERE nspname = 'twake_app_auth'")).toEqual([]);
    }
    expect(await userVisibleTables(provider, url)).toEqual(['_prisma_migrations', 'application_keys', 'applications', 'notes', 'signing_keys']);
  });

  it('should apply everything on an empty database, recording nothing in _prisma_migrations', async () => {
    const empty = await createEmptyDatabaseUrl(provider);
    drop = empty.drop;
    const migrated = await cliJson<{ applied: string[] }>(['migrate'], { DATABASE_URL: empty.url });
    expect(migrated.applied).toContain('20261128000000_init');
    expect(await userVisibleTables(provider, empty.url)).toEqual(['application_keys', 'applications', 'installations', 'signing_keys']);
  });
});

describeOnPostgres('change triggers in a user migration (postgresql)', () => {
  const provider = 'postgresql';
  it('should report missing triggers without them, and propagate an uninstall with the pasted ones', async () => {
    // The user's own writes, through their PrismaClient and the testing kit; no `twake-app-auth migrate` here.
    for (const withTriggers of [false, true]) {
      const empty = await createEmptyDatabaseUrl(provider);
      let sql = readFileSync(join(FIXTURES, `${provider}.migration.sql`), 'utf8');
      if (withTriggers) sql += `\n${(await runCli(['schema', '--sql', '--provider', 'postgresql', '--triggers'], {})).stdout}`;
      await applyUserMigration(provider, empty.url, sql);
      const database = openDatabase(empty.url);
      const created = await createTestApplication(database.prisma, { companies: ['acme'] });

      const lookups = createDriverStore(empty.url);
      const cache = createCachedStore(lookups, { ttlMs: 60_000 });
      const errors: unknown[] = [];
      const listener = listenForChanges(empty.url, cache, { onError: (error) => errors.push(error) });
      try {
        await listener.ready;
        expect(listener.missingTriggers).toEqual(withTriggers ? [] : ['applications_notify', 'application_keys_notify_insert_delete', 'application_keys_notify_update', 'installations_notify']);
        expect(errors).toHaveLength(withTriggers ? 0 : 1);
        expect((await cache.findApplication(created.publicId, 'acme'))?.installed).toBe(true);
        await createAdmin(database.prisma).uninstall(created.publicId, 'acme');
        // With the triggers the cache forgets at once; without them it keeps the answer for its TTL.
        const deadline = Date.now() + 2000;
        let installed: boolean | undefined = true;
        while (Date.now() < deadline && installed === true) {
          installed = (await cache.findApplication(created.publicId, 'acme'))?.installed;
          if (installed === true) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(installed).toBe(withTriggers ? false : true);
      } finally {
        await listener.close();
        await lookups.close?.();
        await database.close();
        await empty.drop();
      }
    }
  });
});

describeOnPostgres('migrate on a user database without triggers (postgresql)', () => {
  const provider = 'postgresql';
  it('should add the change triggers, which Prisma does not diff, and adopt the tables', async () => {
    const empty = await createEmptyDatabaseUrl(provider);
    try {
      await applyUserMigration(provider, empty.url, readFileSync(join(FIXTURES, `${provider}.migration.sql`), 'utf8'));
      const migrated = await cliJson<{ applied: string[]; adopted: string[] }>(['migrate'], { DATABASE_URL: empty.url });
      expect(migrated).toEqual({ applied: ['20261129000000_change_notifications'], adopted: ['20261128000000_init', '20261130000000_capabilities', '20261203000000_signing_keys', '20261204000000_import_tracking'] });
    } finally {
      await empty.drop();
    }
  });
});
