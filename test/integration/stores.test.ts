// Every shipped store gives the same answers for the same data, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrismaStore } from '../../src';
import { createDriverStore, type DriverStore } from '../../server/src/database/driver-store';
import type { ApplicationStore } from '../../src/core/types';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';
import { seed, type Seed } from '../helpers/seed';

describe.each(testProviders())('stores on %s', (provider) => {
  let database: TestDatabase;
  let data: Seed;
  let driver: DriverStore;
  let stores: Array<[string, ApplicationStore]>;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    data = await seed(database.prisma);
    driver = createDriverStore(database.url);
    stores = [
      ['prisma', createPrismaStore(database.prisma)],
      ['driver', driver],
    ];
  });

  afterAll(async () => {
    await driver.close();
    await database.destroy();
  });

  it('should return the application, its non-revoked keys and the installation, identically', async () => {
    for (const [publicId, company] of [
      [data.publicId, data.company],
      [data.publicId, data.otherCompany],
      [data.publicId, null],
      [data.disabled.publicId, data.company],
      ['unknown', data.company],
    ] as const) {
      const answers = await Promise.all(stores.map(([, store]) => store.findApplication(publicId, company)));
      expect(answers[1]).toEqual(answers[0]);
    }
    const record = await driver.findApplication(data.publicId, data.company);
    expect(record).toMatchObject({ publicId: data.publicId, name: 'Calendar bot', enabled: true, installed: true });
    // First key, expired key; the revoked one is left out.
    expect(record?.keys).toHaveLength(2);
    expect(record?.keys.filter((key) => key.expiresAt !== null && key.expiresAt.getTime() < Date.now())).toHaveLength(1);
    expect((await driver.findApplication(data.disabled.publicId, data.company))?.enabled).toBe(false);
    expect(await driver.findApplication('unknown', null)).toBeNull();
  });

  // On PostgreSQL the driver store sends lookups made together as one statement (src/stores/batched-lookups.ts).
  it('gives each of many lookups made together the answer the Prisma store gives it alone, whatever the ids hold', async () => {
    const odd = ['{', '}', '"', '\\', ',', 'NULL', 'null', "'", 'a,b', '{x,y}', '"NULL"', ' ', '', 'é€😀', 'x'.repeat(128)];
    const asked: Array<[string, string | null]> = [
      [data.publicId, data.company],
      [data.publicId, data.otherCompany],
      [data.publicId, null],
      [data.disabled.publicId, data.company],
      ...odd.map((text): [string, string] => [text, data.company]),
      ...odd.map((text): [string, string] => [data.publicId, text]),
      [data.publicId, data.company],
    ];
    const prisma = createPrismaStore(database.prisma);
    const alone = [];
    for (const [publicId, company] of asked) alone.push(await prisma.findApplication(publicId, company));
    const together = await Promise.all(asked.map(([publicId, company]) => driver.findApplication(publicId, company)));
    expect(together).toEqual(alone);
    expect(together.filter((record) => record?.installed === true)).toHaveLength(3);
  });
});
