// revokeKeysSeenInCleartext: a valid key seen over plain HTTP is revoked, and the answer does not say so.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { MemoryStore, createCachedStore, createPrismaStore, type CleartextKeyEvent } from '../../src';
import { createAdmin } from '../../src/admin/admin';
import { basic, createServer } from '../helpers/create-server';
import { testProviders } from '../helpers/databases';
import { useTestDatabase } from '../helpers/use-test-database';
import { eventually, settle } from '../helpers/eventually';
import { expectProblem } from '../helpers/expect-problem';

describe.each(testProviders())('revoking keys seen in clear text, on %s', (provider) => {
  const database = useTestDatabase(provider);

  it('answers the same 403 as for any credentials, revokes the key, and reports the event', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Careless' });
    const spare = await admin.addKey(created.publicId);
    await admin.install(created.publicId, 'c1');
    const events: CleartextKeyEvent[] = [];
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: 60_000 });
    const options = { store, revokeKeysSeenInCleartext: true, onCleartextKeyRevoked: (event: CleartextKeyEvent) => void events.push(event) };
    const plain = createServer({ ...options, mode: 'production' });
    const secure = createServer({ ...options, mode: 'production', isSecure: () => true });
    const call = (app: typeof plain, key: string) => request(app).post('/api/v1/whoami').set('Authorization', basic(created.publicId, key)).send({ group_id: 'c1' });

    // Warm the cache: the revocation must not be hidden by it.
    expect((await call(secure, created.privateKey)).status).toBe(200);
    const leaked = await call(plain, created.privateKey);
    const wrong = await call(plain, 'twk_not-a-key');
    expectProblem(leaked, 403, 'https_required');
    expect(leaked.text).toBe(wrong.text);
    // The revocation runs after the answer.
    await eventually(() => expect(events).toHaveLength(1));
    await settle();
    expect(events).toEqual([{ publicId: created.publicId, applicationId: created.id, keyId: expect.any(String) }]);

    expectProblem(await call(secure, created.privateKey), 401, 'invalid_credentials');
    expect((await call(secure, spare.privateKey)).status).toBe(200);
    const listed = (await admin.listApplications()).find((application) => application.publicId === created.publicId);
    expect(listed?.keys.filter((key) => key.revokedAt !== null)).toHaveLength(1);
  });

  it('is off by default', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Default' });
    await admin.install(created.publicId, 'c1');
    const store = createPrismaStore(database().prisma);
    await request(createServer({ store, mode: 'production' })).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(created.publicId, created.privateKey));
    const secure = createServer({ store, mode: 'production', isSecure: () => true });
    expect((await request(secure).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(created.publicId, created.privateKey))).status).toBe(200);
  });
});

describe('revokeKeysSeenInCleartext option', () => {
  it('needs a store that can revoke', () => {
    expect(() => createServer({ store: new MemoryStore(), revokeKeysSeenInCleartext: true })).toThrow(/revokeKey/);
  });
});
