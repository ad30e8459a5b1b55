// Real databases for integration tests: a temporary SQLite file, or a fresh PostgreSQL database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openDatabase, type Database } from '../../server/src/database/database';
import type { Provider } from '../../server/src/database/database-url';
import { migrate } from '../../server/src/database/migrate';

/** Server holding the test databases; trust auth. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A migrated database for one test file. */
export interface TestDatabase extends Database {
  readonly url: string;
  /** Closes the client and deletes the database. */
  destroy(): Promise<void>;
}

function postgresUrlFor(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdminClient<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Whether PostgreSQL answers. With CI=true its absence is an error: the PostgreSQL suites must run there. */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await withAdminClient((client) => client.query('SELECT 1'));
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL is required when CI=true', { cause: error });
    return false;
  }
}

/** Creates an empty database and returns its URL (no migration); on PostgreSQL, in `encoding` when given (UTF8 otherwise). */
export async function createEmptyDatabaseUrl(provider: Provider, encoding?: 'LATIN1'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'twake-app-auth-'));
    return { url: `file:${join(folder, 'test.db')}`, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const name = `twake_app_auth_test_${randomBytes(6).toString('hex')}`;
  const options = encoding === undefined ? '' : ` ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"${options}`));
  return {
    url: postgresUrlFor(name),
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A migrated database of the given provider, with a PrismaClient connected to it. */
export async function createTestDatabase(provider: Provider, encoding?: 'LATIN1'): Promise<TestDatabase> {
  const { url, drop } = await createEmptyDatabaseUrl(provider, encoding);
  await migrate(url);
  const database = openDatabase(url, { connectTimeoutMs: 2000 });
  return {
    ...database,
    url,
    async destroy() {
      await database.close();
      await drop();
    },
  };
}

/** The providers to run a suite on: SQLite always, PostgreSQL unless the global setup found it unreachable. */
export function testProviders(): Provider[] {
  return process.env.TWAKE_TEST_POSTGRES === 'false' ? ['sqlite'] : ['sqlite', 'postgresql'];
}
