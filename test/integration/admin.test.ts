// The admin API against real databases: keys, rotation, installations, enable/disable.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationNotFoundError, createPrismaStore } from '../../src';
import { createAdmin, type Admin } from '../../src/admin';
import { verifyKey } from '../../src/verify-key';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';

describe.each(testProviders())('admin on %s', (provider) => {
  let database: TestDatabase;
  let admin: Admin;
  const changes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    admin = createAdmin(database.prisma, { onChange: (publicId) => void changes.push(publicId) });
  });

  afterAll(async () => {
    await database.destroy();
  });

  const accepts = async (publicId: string, key: string, at = Date.now()) =>
    verifyKey(await createPrismaStore(database.prisma).findApplication(publicId, null), key, at) !== null;

  it('should create an application with a working first key', async () => {
    const created = await admin.createApplication({ name: '  Bot  ' });
    expect(created).toEqual({ id: expect.any(String), publicId: expect.any(String), name: 'Bot', privateKey: expect.stringMatching(/^twk_/) });
    expect(await accepts(created.publicId, created.privateKey)).toBe(true);
  });

  it('should refuse an empty name', async () => {
    await expect(admin.createApplication({ name: ' ' })).rejects.toThrow(TypeError);
  });

  it('should rotate with a grace period, then cut the old key when it ends', async () => {
    const created = await admin.createApplication({ name: 'Rotating' });
    const rotated = await admin.rotateKey(created.publicId, { graceSeconds: 60 });
    expect(rotated.previousKeysExpireAt.getTime()).toBeGreaterThan(Date.now() + 55_000);
    expect(await accepts(created.publicId, created.privateKey)).toBe(true);
    expect(await accepts(created.publicId, created.privateKey, Date.now() + 61_000)).toBe(false);
    expect(await accepts(created.publicId, rotated.privateKey, Date.now() + 61_000)).toBe(true);
    const now = await admin.rotateKey(created.publicId);
    expect(await accepts(created.publicId, rotated.privateKey)).toBe(false);
    expect(await accepts(created.publicId, now.privateKey)).toBe(true);
    expect(changes).toContain(created.publicId);
  });

  it('should revoke one key and leave the others', async () => {
    const created = await admin.createApplication({ name: 'Revoking' });
    const second = await admin.addKey(created.publicId);
    expect(await admin.revokeKey(created.publicId, second.keyId)).toEqual({ revoked: true });
    expect(await admin.revokeKey(created.publicId, second.keyId)).toEqual({ revoked: false });
    expect(await accepts(created.publicId, second.privateKey)).toBe(false);
    expect(await accepts(created.publicId, created.privateKey)).toBe(true);
  });

  it('should install and uninstall idempotently', async () => {
    const created = await admin.createApplication({ name: 'Installing' });
    const store = createPrismaStore(database.prisma);
    expect(await admin.install(created.publicId, 'acme')).toEqual({ created: true });
    expect(await admin.install(created.publicId, 'acme')).toEqual({ created: false });
    expect((await store.findApplication(created.publicId, 'acme'))?.installed).toBe(true);
    expect(await admin.uninstall(created.publicId, 'acme')).toEqual({ removed: true });
    expect(await admin.uninstall(created.publicId, 'acme')).toEqual({ removed: false });
    expect((await store.findApplication(created.publicId, 'acme'))?.installed).toBe(false);
    await expect(admin.install(created.publicId, '')).rejects.toThrow(TypeError);
  });

  it('should disable and enable', async () => {
    const created = await admin.createApplication({ name: 'Toggling' });
    await admin.setEnabled(created.publicId, false);
    expect(await accepts(created.publicId, created.privateKey)).toBe(false);
    await admin.setEnabled(created.publicId, true);
    expect(await accepts(created.publicId, created.privateKey)).toBe(true);
  });

  it('should list applications with installations and key metadata only', async () => {
    const created = await admin.createApplication({ name: 'Listed' });
    await admin.install(created.publicId, 'z-company');
    const listed = (await admin.listApplications()).find((application) => application.publicId === created.publicId);
    expect(listed).toEqual({
      id: created.id,
      publicId: created.publicId,
      name: 'Listed',
      enabled: true,
      createdAt: expect.any(Date),
      companies: ['z-company'],
      keys: [{ id: expect.any(String), createdAt: expect.any(Date), expiresAt: null, revokedAt: null, lastUsedAt: null }],
    });
  });

  it.each([
    ['addKey', () => admin.addKey('missing')],
    ['rotateKey', () => admin.rotateKey('missing')],
    ['revokeKey', () => admin.revokeKey('missing', 'k')],
    ['install', () => admin.install('missing', 'c')],
    ['uninstall', () => admin.uninstall('missing', 'c')],
    ['setEnabled', () => admin.setEnabled('missing', false)],
  ])('%s should throw ApplicationNotFoundError for an unknown application', async (_name, run) => {
    await expect(run()).rejects.toBeInstanceOf(ApplicationNotFoundError);
  });
});
