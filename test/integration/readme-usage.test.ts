// The README's "Usage in an Express app" sample runs as printed, through bench/readme-usage.js: the code `npm run bench` measures.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import * as library from '../../src/index';
import { basic } from '../helpers/create-server';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';
import { seed, type Seed } from '../helpers/seed';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the benchmark's own loader, plain JavaScript
const { readmeUsageSample, runReadmeUsage } = require('../../bench/readme-usage') as {
  readmeUsageSample(): string;
  runReadmeUsage(options: { provider: string; library: unknown }): { app: Express; close(): Promise<void> };
};

describe('README: usage in an Express app', () => {
  it('leads with the cached Prisma store', () => {
    expect(readmeUsageSample()).toContain('const store = createCachedStore(createPrismaStore(new PrismaClient({ adapter })));');
  });

  describe.each(testProviders())('the sample on %s', (provider) => {
    let database: TestDatabase;
    let data: Seed;
    let app: Express;
    let close: (() => Promise<void>) | undefined;
    const before = process.env.DATABASE_URL;

    beforeAll(async () => {
      database = await createTestDatabase(provider);
      data = await seed(database.prisma);
      process.env.DATABASE_URL = database.url;
      ({ app, close } = runReadmeUsage({ provider, library }));
    });

    afterAll(async () => {
      if (before === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = before;
      await close?.();
      await database?.destroy();
    });

    it('lets an installed application through and refuses a wrong key and another company', async () => {
      // NODE_ENV is test, so the sample's default mode is production: HTTPS as a proxy would say it.
      app.set('trust proxy', 'loopback');
      const post = (company: string, key: string) => request(app).post(`/api/v1/messages?group_id=${company}`).set('X-Forwarded-Proto', 'https').set('Authorization', basic(data.publicId, key));
      const ok = await post(data.company, data.privateKey);
      expect([ok.status, ok.body]).toEqual([200, { from: data.publicId, company: data.company }]);
      expect((await post(data.company, data.revokedKey)).status).toBe(401);
      expect((await post(data.otherCompany, data.privateKey)).body.code).toBe('not_installed');
    });
  });
});
