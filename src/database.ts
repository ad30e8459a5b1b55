// Opens a PrismaClient for DATABASE_URL with the right generated client and driver adapter.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { PrismaClient as PostgresClient } from './generated/postgresql/client';
import { PrismaClient as SqliteClient } from './generated/sqlite/client';
import { providerOf, sqlitePath, type Provider } from './database-url';

/** A connected database: its client, its provider, and how to close it. */
export interface Database {
  readonly prisma: SqliteClient | PostgresClient;
  readonly provider: Provider;
  close(): Promise<void>;
}

/** Options of {@link openDatabase}: how PostgreSQL connections are pooled and bounded in time. */
export interface OpenDatabaseOptions {
  /** PostgreSQL pool size. Defaults to 10. */
  poolSize?: number;
  /**
   * PostgreSQL statement timeout in milliseconds, so a stuck query becomes a 503. The client gives up
   * one second later still, for a server that stopped answering at all. Defaults to 5000.
   */
  statementTimeoutMs?: number;
  /** How long to wait for a connection, new or from a full pool, in milliseconds. Defaults to 5000. */
  connectTimeoutMs?: number;
}

/** The node-postgres pool settings for `url`, shared by the Prisma adapter and the driver store. */
export function postgresPoolConfig(url: string, options: OpenDatabaseOptions): PoolConfig {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
  return {
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  };
}

/** Creates a PrismaClient for `url` (SQLite `file:` or `postgresql://`). Connections open lazily. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  const provider = providerOf(url);
  const prisma =
    provider === 'sqlite'
      ? new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` }) })
      : new PostgresClient({
          adapter: new PrismaPg(postgresPoolConfig(url, options)),
        });
  return { prisma, provider, close: () => prisma.$disconnect() };
}
