// This backend's PrismaClient: the generated client (no query-engine binary) over better-sqlite3.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from './generated/prisma/client';

export function createPrisma(url = process.env.DATABASE_URL ?? 'file:./data/notes.db'): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}

export type { PrismaClient };
