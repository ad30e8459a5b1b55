// ApplicationStore over the user's PrismaClient: one SQL statement per lookup, or per batch of lookups made together.
import type { ApplicationStore } from '../core/types';
import { batchedLookups, type BatchRow, type LookupRunner } from './batched-lookups';
import { BATCH_LOOKUP_TEMPLATE, LOOKUP_TEMPLATE, sqliteBatchTemplate, toRecord, type LookupRow } from './lookup-sql';

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
 * Adapts a PrismaClient to {@link ApplicationStore}. A lookup is a single SQL statement (one round
 * trip), sent through `$queryRaw`: see `lookup-sql.ts`. On SQLite and PostgreSQL, the lookups made while
 * the event loop reads one round of requests go together as one statement (see `batched-lookups.ts`):
 * under load one Prisma query then serves many requests, each answered as its own lookup would be.
 * It caches nothing: wrap it in `createCachedStore()` for that.
 *
 * @param prisma - your PrismaClient, generated from the models in `prisma/*\/schema.prisma`.
 * @public
 */
export function createPrismaStore(prisma: PrismaClientLike): ApplicationStore {
  if (prisma === null || typeof prisma !== 'object' || typeof prisma.$queryRaw !== 'function') {
    throw new TypeError('twake-app-auth: createPrismaStore(prisma) needs a PrismaClient instance.');
  }
  const one = async (publicId: string, companyId: string | null) => (await prisma.$queryRaw(LOOKUP_TEMPLATE, companyId, publicId)) as LookupRow[];
  const runner = batchRunner(prisma, one);
  return {
    findApplication: runner === null ? async (publicId, companyId) => toRecord(await one(publicId, companyId)) : batchedLookups(runner),
    async revokeKey(applicationId, keyId) {
      if (prisma.applicationKey === undefined) throw new TypeError('twake-app-auth: revokeKey needs the applicationKey model on the PrismaClient.');
      // Whether this call revoked it: another request or instance may have done so first.
      const { count } = await prisma.applicationKey.updateMany({ where: { id: keyId, applicationId, revokedAt: null }, data: { revokedAt: new Date() } });
      return count > 0;
    },
  };
}

/**
 * The batched statements for the client's database, or null when it cannot be told (a client of
 * another database, or an object that is not a generated client): each lookup then goes alone. Every
 * generated client since Prisma 5 (7 included) names its database in `_activeProvider`.
 */
function batchRunner(prisma: PrismaClientLike, one: LookupRunner['one']): LookupRunner | null {
  const provider = (prisma as { _activeProvider?: unknown })._activeProvider;
  if (provider === 'postgresql') {
    return {
      one,
      many: async (publicIds, companyIds) => (await prisma.$queryRaw(BATCH_LOOKUP_TEMPLATE, publicIds, companyIds)) as BatchRow[],
      failedOnAValue: isDataException,
    };
  }
  if (provider === 'sqlite') {
    // One template per batch size (at most MAX_BATCH of them), built once.
    const templates = new Map<number, TemplateStringsArray>();
    const templateFor = (count: number) => {
      let template = templates.get(count);
      if (template === undefined) templates.set(count, (template = sqliteBatchTemplate(count)));
      return template;
    };
    return {
      one,
      many: async (publicIds, companyIds) => (await prisma.$queryRaw(templateFor(publicIds.length), ...publicIds.flatMap((publicId, index) => [publicId, companyIds[index] ?? null]))) as BatchRow[],
      // SQLite stores any text it is given: a failure is the database's, never one value's.
      failedOnAValue: () => false,
    };
  }
  return null;
}

/**
 * Whether PostgreSQL refused a value (SQLSTATE class 22, data exception: a character the database's
 * encoding cannot hold, U+0000), as Prisma reports it: P2010 with the driver adapter's error in `meta`
 * (6.19), or the code in the message ("Raw query failed. Code: `22P05`").
 */
function isDataException(error: unknown): boolean {
  const { meta, message } = (error ?? {}) as { meta?: { code?: unknown; driverAdapterError?: { cause?: { code?: unknown } } }; message?: unknown };
  const code = meta?.driverAdapterError?.cause?.code ?? meta?.code ?? (typeof message === 'string' ? /Code: `(\w{5})`/.exec(message)?.[1] : undefined);
  return typeof code === 'string' && code.startsWith('22');
}
