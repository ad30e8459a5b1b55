// Opens a PrismaClient for DATABASE_URL with the right generated client and driver adapter.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PostgresClient } from './generated/postgresql/client';
import { PrismaClient as SqliteClient } from './generated/sqlite/client';
import { providerOf, sqlitePath, type Provider } from './database-url';

/** A connected database: its client, its provider, and how to close it. */
export interface Database {
  readonly prisma: SqliteClient | PostgresClient;
  readonly provider: Provider;
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL pool size. Defaults to 10. */
  poolSize?: number;
  /** PostgreSQL statement timeout in milliseconds, so a stuck query becomes a 503. Defaults to 5000. */
  statementTimeoutMs?: number;
  /** PostgreSQL connection timeout in milliseconds. Defaults to 5000. */
  connectTimeoutMs?: number;
}

/** Creates a PrismaClient for `url` (SQLite `file:` or `postgresql://`). Connections open lazily. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  const provider = providerOf(url);
  const prisma =
    provider === 'sqlite'
      ? new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` }) })
      : new PostgresClient({
          adapter: new PrismaPg({
            connectionString: url,
            max: options.poolSize ?? 10,
            statement_timeout: options.statementTimeoutMs ?? 5000,
            connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
          }),
        });
  return { prisma, provider, close: () => prisma.$disconnect() };
}
