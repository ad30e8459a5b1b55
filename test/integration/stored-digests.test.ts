// Digest rows as a database may hold them after hand edits: only exactly 64 hex characters can match,
// and an expired row does not hide a live one with the same digest. Through the real middleware, over
// HTTP, with both shipped stores, on SQLite and PostgreSQL. (From an adversarial review.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createCachedStore, createPrismaStore } from '../../src';
import { createAdmin, type AdminPrismaClient } from '../../src/admin/admin';
import { digestKeyHex } from '../../src/core/secrets';
import { createDriverStore, type DriverStore } from '../../server/src/database/driver-store';
import type { ApplicationStore } from '../../src/core/types';
import { basic, createServer } from '../helpers/create-server';
import { eventually, settle } from '../helpers/eventually';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';

const KEY = 'twk_stored-digest-test-key';
const COMPANY = 'company-1';

describe.each(testProviders())('stored digests on %s', (provider) => {
  let database: TestDatabase;
  let driver: DriverStore;
  let stores: Array<[string, () => ApplicationStore]>;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    driver = createDriverStore(database.url);
    stores = [
      ['driver store', () => driver],
      ['driver store, cached', () => createCachedStore(driver)],
      ['Prisma store', () => createPrismaStore(database.prisma)],
    ];
  });

  afterAll(async () => {
    await driver.close();
    await database.destroy();
  });

  /** An application installed in COMPANY with key rows holding exactly these digest texts (and its own first key, which KEY does not match). */
  async function applicationWith(rows: Array<{ digest: string; expiresAt?: Date }>): Promise<string> {
    const prisma = database.prisma as unknown as AdminPrismaClient;
    const created = await createAdmin(prisma).createApplication({ name: 'Digest rows' });
    await createAdmin(prisma).install(created.publicId, COMPANY);
    for (const { digest, expiresAt } of rows) {
      await prisma.applicationKey.create({ data: { id: randomUUID(), applicationId: created.id, digest, expiresAt: expiresAt ?? null } });
    }
    return created.publicId;
  }

  async function statuses(publicId: string): Promise<number[]> {
    const answers = [];
    for (const [, store] of stores) {
      const response = await request(createServer({ store: store() })).get(`/api/v1/whoami?group_id=${COMPANY}`).set('Authorization', basic(publicId, KEY));
      answers.push(response.status);
    }
    return answers;
  }

  const hex = digestKeyHex(KEY);
  const all = (status: number) => [status, status, status];

  it('matches the digest in lower or upper case', async () => {
    expect(await statuses(await applicationWith([{ digest: hex }]))).toEqual(all(200));
    expect(await statuses(await applicationWith([{ digest: hex.toUpperCase() }]))).toEqual(all(200));
  });

  it('matches nothing that is not exactly 64 hex characters, though its first 64 are the digest', async () => {
    for (const digest of [`${hex}-revoked`, `${hex} `, `${hex}0`, `${hex}00`, ` ${hex}`, `0x${hex}`, hex.slice(0, 63), `${hex.slice(0, 20)}zz${hex.slice(22)}`, '']) {
      expect({ digest, statuses: await statuses(await applicationWith([{ digest }])) }).toEqual({ digest, statuses: all(401) });
    }
  });

  it('lets a live key through when an expired row holds the same digest, in either order', async () => {
    const expired = { digest: hex, expiresAt: new Date(Date.now() - 60_000) };
    const live = { digest: hex };
    expect(await statuses(await applicationWith([expired, live]))).toEqual(all(200));
    expect(await statuses(await applicationWith([live, expired]))).toEqual(all(200));
    expect(await statuses(await applicationWith([expired, expired]))).toEqual(all(401));
  });

  // A key seen over plain HTTP is treated as leaked: every row that accepts it must go, or the leaked
  // key keeps working through the row left behind.
  it('revokes every row holding a key seen in clear text, with each store that can revoke', async () => {
    const revokeKey = createPrismaStore(database.prisma).revokeKey;
    const revoking: Array<[string, () => ApplicationStore]> = [
      ['Prisma store', () => createPrismaStore(database.prisma)],
      ['Prisma store, cached', () => createCachedStore(createPrismaStore(database.prisma))],
      ['driver store', () => ({ ...driver, revokeKey })],
      ['driver store, cached', () => createCachedStore({ ...driver, revokeKey })],
    ];
    for (const [name, store] of revoking) {
      const publicId = await applicationWith([{ digest: hex }, { digest: hex.toUpperCase() }, { digest: hex, expiresAt: new Date(Date.now() + 60_000) }]);
      const options = { store: store(), mode: 'production' as const, revokeKeysSeenInCleartext: true };
      const call = (isSecure: boolean) => request(createServer({ ...options, isSecure: () => isSecure })).get(`/api/v1/whoami?group_id=${COMPANY}`).set('Authorization', basic(publicId, KEY));
      expect({ name, before: (await call(true)).status }).toEqual({ name, before: 200 });
      expect({ name, plain: (await call(false)).status }).toEqual({ name, plain: 403 });
      // The revocation runs after the answer: once the key is refused, it stays refused.
      await eventually(async () => expect({ name, after: (await call(true)).status }).toEqual({ name, after: 401 }));
      await settle();
      expect({ name, after: (await call(true)).status }).toEqual({ name, after: 401 });
    }
  });
});
