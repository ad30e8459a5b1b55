// On PostgreSQL the driver store and createPrismaStore send lookups made together as one statement. A value PostgreSQL
// refuses (U+0000 anywhere; "€" in a LATIN1 database) fails the statement that holds it: only the request
// that sent it may fail, never the others gathered with it. (From an adversarial review.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createPrismaStore } from '../../src';
import { createAdmin, type AdminPrismaClient } from '../../src/admin/admin';
import type { ApplicationStore } from '../../src/core/types';
import { createDriverStore, type DriverStore } from '../../server/src/database/driver-store';
import { basic, createServer } from '../helpers/create-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { describeOnPostgres } from '../helpers/describe-on-postgres';

describeOnPostgres('PostgreSQL statements batching lookups', () => {
  describe.each(['UTF8', 'LATIN1'] as const)('lookups made together on a %s PostgreSQL database', (encoding) => {
    let database: TestDatabase;
    let driver: DriverStore;
    let stores: Record<'driver' | 'prisma', ApplicationStore>;
    let victim: { publicId: string; privateKey: string };
    // What the database refuses: U+0000 always, and a character LATIN1 cannot hold.
    const refused = encoding === 'UTF8' ? ['x\u0000'] : ['x\u0000', '€', 'c😀'];

    beforeAll(async () => {
      database = await createTestDatabase('postgresql', encoding === 'UTF8' ? undefined : encoding);
      driver = createDriverStore(database.url);
      stores = { driver, prisma: createPrismaStore(database.prisma) };
      const admin = createAdmin(database.prisma as unknown as AdminPrismaClient);
      victim = await admin.createApplication({ name: 'Victim' });
      await admin.install(victim.publicId, 'acme');
    });

    afterAll(async () => {
      await driver.close();
      await database.destroy();
    });

    it.each(['driver', 'prisma'] as const)('%s store: answers every other lookup of the statement and fails only the refused ones', async (name) => {
      const asked: Array<[string, string | null]> = [[victim.publicId, 'acme'], ...refused.map((text): [string, null] => [text, null]), [victim.publicId, 'acme'], ...refused.map((text): [string, string] => [victim.publicId, text])];
      const outcomes = await Promise.allSettled(asked.map(([publicId, company]) => stores[name].findApplication(publicId, company)));
      const expected = asked.map(([publicId, company]) => (refused.includes(publicId) || (company !== null && refused.includes(company)) ? 'rejected' : 'installed'));
      expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? (outcome.value?.installed === true ? 'installed' : 'not installed') : 'rejected'))).toEqual(expected);
    });

    it.each(['driver', 'prisma'] as const)('%s store: lets every valid request through while others send refused public ids, cache off', async (name) => {
      const app = createServer({ store: stores[name], throttle: false });
      const victims = Array.from({ length: 60 }, () => request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic(victim.publicId, victim.privateKey)));
      const attackers = Array.from({ length: 20 }, (_, index) => request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic(refused[index % refused.length] as string, 'twk_whatever')));
      const [good, bad] = await Promise.all([Promise.all(victims), Promise.all(attackers)]);
      expect(good.map((response) => response.status)).toEqual(good.map(() => 200));
      // The parser refuses U+0000 before any lookup (401); "€" reaches the database, which fails it alone (503).
      for (const response of bad) expect([401, 503]).toContain(response.status);
    });
  });
});
