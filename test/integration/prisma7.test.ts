// A user's own Prisma 7 client, generated from our models, through createAdmin and createPrismaStore on SQLite
// and PostgreSQL: the same answers as Prisma 6.19 on the same database, expiry in UTC whatever the TZ, and
// the middleware on Express 5. test/prisma7/setup.js installs Prisma 7 apart from the root's 6.19.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { createAdmin, createPrismaStore, twakeAppAuth, twakeAuthErrorHandler, type ApplicationStore, type IssuedKey } from '../../src';
import { ApplicationNotFoundError } from '../../src/core/errors';
import { openDatabase, type Database } from '../../server/src/database/database';
import type { Provider } from '../../server/src/database/database-url';
import { migrate } from '../../server/src/database/migrate';
import { basic } from '../helpers/create-server';
import { POSTGRES_ADMIN_URL, testProviders } from '../helpers/databases';
import { openPrisma7, versions, type Prisma7Database } from '../prisma7/clients';

const run = promisify(execFile);
const PRISMA7 = join(__dirname, '..', 'prisma7');
const HOUR_MS = 3_600_000;
const COMPANY = 'acme';
// West and east of UTC: a zone-less timestamp read as local time moves the expiry later in one, earlier in the other.
const TIME_ZONES = ['America/Los_Angeles', 'Asia/Tokyo'];

/** An empty database: a temporary SQLite file, or a PostgreSQL database named p7_…, dropped afterwards. */
async function createDatabase(provider: Provider): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'twake-app-auth-p7-'));
    return { url: `file:${join(folder, 'test.db')}`, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const name = `p7_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

beforeAll(async () => {
  // A no-op once installed and generated (CI runs it before the tests); the first run installs.
  await run(process.execPath, [join(PRISMA7, 'setup.js')]);
  expect(versions().prisma7).toMatch(/^7\./);
  expect(versions().prisma6).toMatch(/^6\.19\./);
}, 240_000);

describe.each(testProviders())('a Prisma 7 client on %s', (provider) => {
  let drop: () => Promise<void>;
  let url: string;
  let prisma7: Prisma7Database;
  let prisma6: Database;
  let store7: ApplicationStore;
  let store6: ApplicationStore;
  // Made by createAdmin on Prisma 7 in the first test, read by the others.
  let app: { id: string; publicId: string; privateKey: string };
  const keys = { expired: {} as IssuedKey, valid: {} as IssuedKey, revoked: {} as IssuedKey };
  const expiries = { expired: new Date(0), valid: new Date(0) };

  beforeAll(async () => {
    ({ url, drop } = await createDatabase(provider));
    await migrate(url);
    prisma7 = openPrisma7(url);
    prisma6 = openDatabase(url, { connectTimeoutMs: 2000 });
    store7 = createPrismaStore(prisma7.prisma);
    store6 = createPrismaStore(prisma6.prisma);
  });

  afterAll(async () => {
    await prisma7?.close();
    await prisma6?.close();
    await drop?.();
  });

  it('createAdmin: creates, installs with grants, adds, rotates and revokes keys; Prisma 6.19 lists the same', async () => {
    const admin = createAdmin(prisma7.prisma);
    app = await admin.createApplication({ name: 'Prisma 7 bot', capabilities: ['messages_save', 'drive_save'], privileges: ['channels'] });
    expect(await admin.install(app.publicId, COMPANY, { grant: ['messages_save', 'channels'] })).toEqual({
      created: true,
      capabilities: ['messages_save'],
      privileges: ['channels'],
    });
    expect(await admin.install(app.publicId, COMPANY)).toEqual({ created: false, capabilities: ['messages_save'], privileges: ['channels'] });
    // Two installs racing: one creates, the other meets Prisma 7's unique violation (P2002) and reads the row.
    const raced = await Promise.all([admin.install(app.publicId, 'raced'), admin.install(app.publicId, 'raced')]);
    expect(raced.map((result) => result.created).sort()).toEqual([false, true]);
    expect(await admin.uninstall(app.publicId, 'raced')).toEqual({ removed: true });
    // What install's race handling relies on: Prisma 7 through a driver adapter still reports a duplicate as P2002.
    await expect(
      prisma7.prisma.installation.create({ data: { applicationId: app.id, companyId: COMPANY, grantedCapabilities: '', grantedPrivileges: '' } }),
    ).rejects.toMatchObject({ code: 'P2002' });

    expiries.expired = new Date(Date.now() - HOUR_MS);
    keys.expired = await admin.addKey(app.publicId, { expiresAt: expiries.expired });
    keys.revoked = await admin.addKey(app.publicId);
    expect(await admin.revokeKey(app.publicId, keys.revoked.keyId)).toEqual({ revoked: true });
    expect(await admin.revokeKey(app.publicId, keys.revoked.keyId)).toEqual({ revoked: false });
    // The key made with the application and the expired one: the rotation cuts the first to an hour, keeps the second.
    const rotated = await admin.rotateKey(app.publicId, { graceSeconds: 3600 });
    keys.valid = rotated;
    expiries.valid = rotated.previousKeysExpireAt;
    expect(await admin.setAccess(app.publicId, { capabilities: ['messages_save'] })).toEqual({
      capabilities: ['messages_save'],
      privileges: ['channels'],
      allowedIps: [],
    });
    await admin.setEnabled(app.publicId, false);
    await admin.setEnabled(app.publicId, true);
    await expect(admin.addKey('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(ApplicationNotFoundError);

    const [listed] = await admin.listApplications();
    expect(listed).toMatchObject({ publicId: app.publicId, enabled: true, companies: [COMPANY], capabilities: ['messages_save'] });
    const byId = new Map(listed?.keys.map((key) => [key.id, key]));
    expect(listed?.keys).toHaveLength(4);
    expect(byId.get(keys.expired.keyId)?.expiresAt).toEqual(expiries.expired);
    expect(byId.get(keys.revoked.keyId)?.revokedAt).toEqual(expect.any(Date));
    expect(byId.get(rotated.keyId)?.expiresAt).toBeNull();
    expect(listed?.keys.filter((key) => key.expiresAt?.getTime() === expiries.valid.getTime())).toHaveLength(1);
    expect(await createAdmin(prisma6.prisma).listApplications()).toEqual(await admin.listApplications());
  });

  it('createPrismaStore: the same records as through Prisma 6.19 (keys, installation, grants), and revokeKey', async () => {
    const record = await store7.findApplication(app.publicId, COMPANY);
    expect(record).toMatchObject({ id: app.id, publicId: app.publicId, enabled: true, installed: true, granted: { capabilities: ['messages_save'], privileges: ['channels'] } });
    // The revoked key is left out; the others come with their expiry (the first key's is the rotation's grace).
    const expiryById = Object.fromEntries(record?.keys.map((key) => [key.id, key.expiresAt?.toISOString() ?? null]) ?? []);
    expect(Object.keys(expiryById)).toHaveLength(3);
    expect(expiryById).toMatchObject({ [keys.expired.keyId]: expiries.expired.toISOString(), [keys.valid.keyId]: null });
    expect(Object.values(expiryById)).toContain(expiries.valid.toISOString());
    for (const [publicId, company] of [[app.publicId, COMPANY], [app.publicId, 'elsewhere'], [app.publicId, null], ['00000000-0000-4000-8000-000000000000', COMPANY]] as const) {
      expect(await store7.findApplication(publicId, company)).toEqual(await store6.findApplication(publicId, company));
    }
    expect((await store7.findApplication(app.publicId, 'elsewhere'))?.installed).toBe(false);
    expect(await store7.findApplication('00000000-0000-4000-8000-000000000000', COMPANY)).toBeNull();

    const spare = await createAdmin(prisma7.prisma).addKey(app.publicId);
    expect(await store7.revokeKey?.(app.id, spare.keyId)).toBe(true);
    expect(await store7.revokeKey?.(app.id, spare.keyId)).toBe(false);
    expect((await store6.findApplication(app.publicId, COMPANY))?.keys.map((key) => key.id)).not.toContain(spare.keyId);
  });

  it('createPrismaStore: lookups made together go as one Prisma 7 statement, each answered as Prisma 6.19 answers it alone', async () => {
    let statements = 0;
    const counted = new Proxy(prisma7.prisma, {
      get: (target, property, receiver) =>
        property === '$queryRaw'
          ? (...args: Parameters<typeof target.$queryRaw>) => {
              statements += 1;
              return target.$queryRaw(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const asked = [[app.publicId, COMPANY], ['00000000-0000-4000-8000-000000000000', COMPANY], [app.publicId, 'elsewhere'], [app.publicId, null]] as const;
    const store = createPrismaStore(counted);
    const together = await Promise.all(asked.map(([publicId, company]) => store.findApplication(publicId, company)));
    expect(statements).toBe(1);
    const alone = [];
    for (const [publicId, company] of asked) alone.push(await store6.findApplication(publicId, company));
    expect(together).toEqual(alone);
  });

  it('the middleware on Express 5 over the Prisma 7 store: 200, 401 (wrong, expired, revoked key), 403 (not installed)', async () => {
    const server = express();
    server.get('/api/v1/whoami', twakeAppAuth({ store: store7, mode: 'development' }), (req, res) => {
      res.json({ twake: req.twake });
    });
    server.use(twakeAuthErrorHandler());
    const get = (key: string, company = COMPANY) => request(server).get(`/api/v1/whoami?group_id=${company}`).set('Authorization', basic(app.publicId, key));

    const ok = await get(keys.valid.privateKey);
    expect(ok.status).toBe(200);
    expect(ok.body.twake).toMatchObject({ publicId: app.publicId, companyId: COMPANY, keyId: keys.valid.keyId, capabilities: ['messages_save'], privileges: ['channels'] });
    expect((await get(app.privateKey)).status).toBe(200); // the first key, within its hour of grace
    expect((await get('twk_wrong')).status).toBe(401);
    expect((await get(keys.expired.privateKey)).status).toBe(401);
    expect((await get(keys.revoked.privateKey)).status).toBe(401);
    const refused = await get(keys.valid.privateKey, 'elsewhere');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'not_installed' });
  });

  it.each(TIME_ZONES)('TZ=%s: both clients read the instants written, Prisma 7 writes in UTC, the middleware decides by UTC', async (tz) => {
    const addedExpiry = new Date(Date.now() + 2 * HOUR_MS);
    const { stdout } = await run(process.execPath, [join(PRISMA7, 'read-expiry.js'), app.publicId, COMPANY], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url,
        TZ: tz,
        EXPIRES_AT: String(addedExpiry.getTime()),
        KEYS: JSON.stringify({ valid: keys.valid.privateKey, graced: app.privateKey, expired: keys.expired.privateKey }),
      },
    });
    const read = JSON.parse(stdout) as {
      utcOffsetMinutes: number;
      prisma7: Record<string, string | null>;
      prisma6: Record<string, string | null>;
      addedKeyId: string;
      statuses: Record<string, number>;
    };
    expect(read.utcOffsetMinutes).not.toBe(0);
    const written = { [keys.expired.keyId]: expiries.expired.toISOString(), [keys.valid.keyId]: null };
    // Both clients in one comparison, so that a failure shows which of them is off.
    expect({ prisma7: read.prisma7, prisma6: read.prisma6 }).toEqual({ prisma7: expect.objectContaining(written), prisma6: expect.objectContaining(written) });
    expect(read.prisma7).toEqual(read.prisma6);
    expect(Object.values(read.prisma7)).toContain(expiries.valid.toISOString());
    // Written by createAdmin on Prisma 7 under that zone, read here (the parent's zone) through both clients.
    for (const store of [store7, store6]) {
      const added = (await store.findApplication(app.publicId, COMPANY))?.keys.find((key) => key.id === read.addedKeyId);
      expect(added?.expiresAt?.toISOString()).toBe(addedExpiry.toISOString());
    }
    expect(read.statuses).toEqual({ valid: 200, graced: 200, expired: 401 });
  });
});
