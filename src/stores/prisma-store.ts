// ApplicationStore over the user's PrismaClient: one SQL statement per lookup.
import type { ApplicationStore } from '../core/types';
import { LOOKUP_TEMPLATE, toRecord, type LookupRow } from './lookup-sql';

/**
 * The part of a PrismaClient the store uses. Any client generated from our models (SQLite or PostgreSQL,
 * Prisma 6.16+ or 7) fits, whatever its output folder.
 *
 * @public
 */
export interface PrismaClientLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
  /** Used only by `revokeKey` (for `revokeKeysSeenInCleartext`). */
  applicationKey?: {
    updateMany(args: { where: { id: string; applicationId: string; revokedAt: null }; data: { revokedAt: Date } }): PromiseLike<{ count: number }>;
  };
}

/**
 * Adapts a PrismaClient to {@link ApplicationStore}. The lookup is a single SQL statement (one round
 * trip), sent through `$queryRaw`: see `lookup-sql.ts`.
 *
 * @param prisma - your PrismaClient, generated from the models in `prisma/*\/schema.prisma`.
 * @public
 */
export function createPrismaStore(prisma: PrismaClientLike): ApplicationStore {
  if (prisma === null || typeof prisma !== 'object' || typeof prisma.$queryRaw !== 'function') {
    throw new TypeError('twake-app-auth: createPrismaStore(prisma) needs a PrismaClient instance.');
  }
  return {
    async findApplication(publicId, companyId) {
      return toRecord((await prisma.$queryRaw(LOOKUP_TEMPLATE, companyId, publicId)) as LookupRow[]);
    },
    async revokeKey(applicationId, keyId) {
      if (prisma.applicationKey === undefined) throw new TypeError('twake-app-auth: revokeKey needs the applicationKey model on the PrismaClient.');
      // Whether this call revoked it: another request or instance may have done so first.
      const { count } = await prisma.applicationKey.updateMany({ where: { id: keyId, applicationId, revokedAt: null }, data: { revokedAt: new Date() } });
      return count > 0;
    },
  };
}
