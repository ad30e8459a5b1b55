// Types of clients.js for the Jest suite, which must not import the generated Prisma 7 client statically
// (it exists only once setup.js has run; test/prisma7/typecheck.ts checks its types).
import type { AdminPrismaClient } from '../../src/admin/admin';
import type { PrismaClientLike } from '../../src/stores/prisma-store';

export interface Prisma7Database {
  prisma: PrismaClientLike & AdminPrismaClient & { $disconnect(): Promise<void> };
  provider: 'sqlite' | 'postgresql';
  close(): Promise<void>;
}
export function openPrisma7(url: string): Prisma7Database;
export function versions(): { prisma7: string; prisma6: string };
