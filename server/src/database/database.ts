// Opens a PrismaClient for DATABASE_URL with the right generated client and driver adapter.
import type * as SqliteAdapter from '@prisma/adapter-better-sqlite3';
import type * as PgAdapter from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import type { PrismaClient as PostgresClient } from '../generated/postgresql/client';
import type { PrismaClient as SqliteClient } from '../generated/sqlite/client';
import { DEFAULT_DATABASE_URL, providerOf, sqlitePath, type Provider } from './database-url';
import { requireAllOptional, requireOptional, type OptionalPeer } from '../optional-dependency';

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

/**
 * The optional peers the CLI and server need for `provider` (and `extra`), in one install line when any is
 * missing. `defaulted`: DATABASE_URL was not set, so the SQLite default was chosen: say so, since an
 * install meant for PostgreSQL lacks the SQLite packages for a reason.
 */
export function checkDatabasePeers(provider: Provider, extra: readonly OptionalPeer[] = [], defaulted = false): void {
  if (provider === 'sqlite' && defaulted) {
    requireAllOptional(
      ['@prisma/client', '@prisma/adapter-better-sqlite3', 'better-sqlite3', ...extra],
      `DATABASE_URL is not set, so the default SQLite database (${DEFAULT_DATABASE_URL})`,
      '; or set DATABASE_URL=postgresql://... to use PostgreSQL',
    );
  } else if (provider === 'sqlite') requireAllOptional(['@prisma/client', '@prisma/adapter-better-sqlite3', 'better-sqlite3', ...extra], 'The CLI and server on SQLite');
  else requireAllOptional(['@prisma/client', '@prisma/adapter-pg', 'pg', ...extra], 'The CLI and server on PostgreSQL');
}

/** Creates a PrismaClient for `url` (SQLite `file:` or `postgresql://`). Connections open lazily. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  const provider = providerOf(url);
  // Only the chosen provider's adapter, driver and generated client are loaded (they are optional peers).
  checkDatabasePeers(provider);
  let prisma: SqliteClient | PostgresClient;
  if (provider === 'sqlite') {
    const { PrismaBetterSQLite3 } = requireOptional<typeof SqliteAdapter>('@prisma/adapter-better-sqlite3', 'SQLite');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this provider
    const { PrismaClient } = require('../generated/sqlite/client') as { PrismaClient: typeof SqliteClient };
    prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` }) });
  } else {
    const { PrismaPg } = requireOptional<typeof PgAdapter>('@prisma/adapter-pg', 'PostgreSQL');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this provider
    const { PrismaClient } = require('../generated/postgresql/client') as { PrismaClient: typeof PostgresClient };
    prisma = new PrismaClient({ adapter: new PrismaPg(postgresPoolConfig(url, options)) });
  }
  return { prisma, provider, close: () => prisma.$disconnect() };
}
