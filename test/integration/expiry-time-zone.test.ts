// Key expiry holds whatever the local time zone of the process that reads it, on every store and the real server.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAdmin, type IssuedKey } from '../../src/admin/admin';
import { basic } from '../helpers/create-server';
import { testProviders } from '../helpers/databases';
import { cliJson, startServer } from '../helpers/processes';
import { useTestDatabase } from '../helpers/use-test-database';

const run = promisify(execFile);
const FIXTURE = join(__dirname, '..', 'fixtures', 'read-key-expiry.js');
const HOUR_MS = 3_600_000;
const COMPANY = 'acme';
// West and east of UTC: a zone-less timestamp read as local time moves the expiry later in one, earlier in the other.
const TIME_ZONES = ['America/New_York', 'Asia/Tokyo'];

interface Read {
  utcOffsetMinutes: number;
  driver: Record<string, string | null>;
  prisma: Record<string, string | null>;
}

describe.each(testProviders())('key expiry under a non-UTC local time zone, on %s', (provider) => {
  const database = useTestDatabase(provider);
  let publicId: string;
  let privateKey: string;
  const expired = { expiresAt: new Date(0), key: {} as IssuedKey };
  const valid = { expiresAt: new Date(0), key: {} as IssuedKey };

  beforeAll(async () => {
    const admin = createAdmin(database().prisma);
    ({ publicId, privateKey } = await admin.createApplication({ name: 'Time zones' }));
    await admin.install(publicId, COMPANY);
    expired.expiresAt = new Date(Date.now() - HOUR_MS);
    expired.key = await admin.addKey(publicId, { expiresAt: expired.expiresAt });
    valid.expiresAt = new Date(Date.now() + HOUR_MS);
    valid.key = await admin.addKey(publicId, { expiresAt: valid.expiresAt });
  });

  describe.each(TIME_ZONES)('TZ=%s', (tz) => {
    it('the driver store and the Prisma store read back the instant that was written', async () => {
      const { stdout } = await run(process.execPath, [FIXTURE, publicId], { env: { PATH: process.env.PATH, DATABASE_URL: database().url, TZ: tz } });
      const read = JSON.parse(stdout) as Read;
      expect(read.utcOffsetMinutes).not.toBe(0);
      const written = { [expired.key.keyId]: expired.expiresAt.toISOString(), [valid.key.keyId]: valid.expiresAt.toISOString() };
      // Both stores in one comparison, so that a failure shows which of them is off.
      expect({ driver: read.driver, prisma: read.prisma }).toEqual({
        driver: expect.objectContaining(written),
        prisma: expect.objectContaining(written),
      });
      expect(read.driver).toEqual(read.prisma);
    });

    it('the server refuses a key expired an hour ago, accepts one expiring in an hour; rotate-key --grace holds', async () => {
      const env = { DATABASE_URL: database().url, TZ: tz };
      // The CLI runs in the same zone: --grace 0 ends the old key now, --grace 3600 in an hour.
      const cut = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', `Cut ${tz}`], env);
      const kept = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', `Kept ${tz}`], env);
      for (const created of [cut, kept]) await cliJson(['app', 'install', created.publicId, '--company', COMPANY], env);
      await cliJson(['app', 'rotate-key', cut.publicId, '--grace', '0'], env);
      await cliJson(['app', 'rotate-key', kept.publicId, '--grace', '3600'], env);

      const server = await startServer({ ...env, NODE_ENV: 'development' });
      try {
        const status = async (id: string, key: string) =>
          (await fetch(`${server.url}/api/v1/auth/test?group_id=${COMPANY}`, { headers: { Authorization: basic(id, key) } })).status;
        expect(await status(publicId, privateKey)).toBe(200);
        expect(await status(publicId, expired.key.privateKey)).toBe(401);
        expect(await status(publicId, valid.key.privateKey)).toBe(200);
        expect(await status(cut.publicId, cut.privateKey)).toBe(401);
        expect(await status(kept.publicId, kept.privateKey)).toBe(200);
      } finally {
        await server.stop();
      }
    }, 60_000);
  });
});
