// Prisma CLI configuration: the schema engine that ships as WebAssembly inside the prisma package
// (engine: "js"), so `prisma generate` and `prisma migrate deploy` download no binary.
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

// The schema reads DATABASE_URL; `prisma generate` needs a value, not a database.
process.env.DATABASE_URL ??= 'file:./data/notes.db';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: async () => new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./data/notes.db' }),
});
