// createPrismaStore sends the lookups made together as one $queryRaw statement, on SQLite and PostgreSQL,
// through a real generated client: each lookup gets the answer it gets alone, and a failed statement fails them all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createPrismaStore, type PrismaClientLike } from '../../src';
import { MAX_BATCH } from '../../src/stores/batched-lookups';
import { basic, createServer } from '../helpers/create-server';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';
import { seed, type Seed } from '../helpers/seed';

/** The client itself, with its `$queryRaw` calls counted (each call is one SQL statement). */
function countingStatements(prisma: PrismaClientLike): { client: PrismaClientLike; statements: () => number } {
  let statements = 0;
  const client = new Proxy(prisma, {
    get(target, property, receiver) {
      if (property !== '$queryRaw') return Reflect.get(target, property, receiver);
      return (...args: Parameters<PrismaClientLike['$queryRaw']>) => {
        statements += 1;
        return target.$queryRaw(...args);
      };
    },
  });
  return { client, statements: () => statements };
}

describe.each(testProviders())('createPrismaStore on %s, lookups made together', (provider) => {
  let database: TestDatabase;
  let data: Seed;
  let asked: Array<[string, string | null]>;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    data = await seed(database.prisma);
    asked = [
      [data.publicId, data.company], // installed
      ['unknown', data.company], // unknown
      [data.publicId, data.otherCompany], // not installed
      [data.disabled.publicId, data.company], // disabled
      [data.publicId, null], // no company
      ['unknown', null],
      [data.publicId, 'company-3'], // installed in another company
      [data.disabled.publicId, data.otherCompany],
      [data.publicId, data.company],
    ];
  });

  afterAll(async () => {
    await database.destroy();
  });

  it('sends them as one statement and gives each the answer it gets alone', async () => {
    const { client, statements } = countingStatements(database.prisma);
    const store = createPrismaStore(client);
    const alone = [];
    for (const [publicId, company] of asked) alone.push(await store.findApplication(publicId, company));
    expect(statements()).toBe(asked.length);

    const together = await Promise.all(asked.map(([publicId, company]) => store.findApplication(publicId, company)));
    expect(statements()).toBe(asked.length + 1);
    expect(together).toEqual(alone);
    expect(together.map((record) => record && [record.publicId, record.enabled, record.installed, record.keys.length])).toEqual([
      [data.publicId, true, true, 2],
      null,
      [data.publicId, true, false, 2],
      [data.disabled.publicId, false, true, 1],
      [data.publicId, true, false, 2],
      null,
      [data.publicId, true, true, 2],
      [data.disabled.publicId, false, false, 1],
      [data.publicId, true, true, 2],
    ]);
    // The expired key keeps its expiry instant, read in UTC as the single lookup reads it.
    expect(together[0]?.keys.map((key) => key.expiresAt?.getTime() ?? null)).toEqual(alone[0]?.keys.map((key) => key.expiresAt?.getTime() ?? null));
  });

  it(`sends more than ${MAX_BATCH} as statements of at most ${MAX_BATCH}, each answer in its place`, async () => {
    const { client, statements } = countingStatements(database.prisma);
    const store = createPrismaStore(client);
    const many = Array.from({ length: MAX_BATCH + 20 }, (_, index) => asked[index % asked.length] as [string, string | null]);
    const records = await Promise.all(many.map(([publicId, company]) => store.findApplication(publicId, company)));
    expect(statements()).toBe(2);
    expect(records.map((record) => record?.installed ?? null)).toEqual(many.map((_, index) => [true, null, false, true, false, null, true, false, true][index % asked.length]));
  });

  it('fails every lookup of a failed statement, and the middleware answers each 503, never a wrong answer', async () => {
    const { client, statements } = countingStatements(database.prisma);
    const store = createPrismaStore(client);
    // A real failure of the database: the table the statement joins is gone while it runs.
    await database.prisma.$executeRawUnsafe('ALTER TABLE "installations" RENAME TO "installations_away"');
    try {
      const outcomes = await Promise.allSettled(asked.map(([publicId, company]) => store.findApplication(publicId, company)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(asked.map(() => 'rejected'));
      expect(statements()).toBe(1);

      const app = createServer({ store, throttle: false });
      const answers = await Promise.all(
        [data.publicId, data.publicId, 'unknown'].map((publicId) => request(app).get(`/api/v1/whoami?group_id=${data.company}`).set('Authorization', basic(publicId, data.privateKey))),
      );
      expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual(answers.map(() => [503, 'store_unavailable']));
    } finally {
      await database.prisma.$executeRawUnsafe('ALTER TABLE "installations_away" RENAME TO "installations"');
    }
    expect((await store.findApplication(data.publicId, data.company))?.installed).toBe(true);
  });
});
