// The admin API against real databases: keys, rotation, installations, enable/disable.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationNotFoundError, createPrismaStore, InvalidAdminInputError } from '../../src';
import { createAdmin, type Admin } from '../../src/admin/admin';
import { hasInvisibleCharacters } from '../../src/core/control-characters';
import { verifyKey } from '../../src/core/verify-key';
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

  /** The refusal for `run`: typed, naming the field, never echoing the value. */
  async function refusal(run: () => Promise<unknown>, field: 'name' | 'companyId'): Promise<InvalidAdminInputError> {
    const error = await run().then(
      () => new Error('accepted'),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidAdminInputError);
    expect(error).toBeInstanceOf(TypeError);
    const refused = error as InvalidAdminInputError;
    expect({ field: refused.field, code: refused.code }).toEqual({ field, code: 'invalid_input' });
    expect(refused.message).toMatch(field === 'name' ? /^Invalid application name: / : /^Invalid company id: /);
    expect(hasInvisibleCharacters(refused.message)).toBe(false);
    expect(refused.message).not.toMatch(/x{10}|pwned/);
    return refused;
  }

  it.each([
    ['ESC and BEL (OSC title)', 'a\u001b]0;pwned\u0007'],
    ['CSI clear screen', '\u001b[2J'],
    ['CR inside', 'Good\rEvil'],
    ['CR at the end (not trimmed away)', 'Bot\r'],
    ['LF', 'Bot\n'],
    ['NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['C1 NEL', 'a\u0085'],
    ['C1 CSI', 'a\u009b2J'],
    ['U+202E right-to-left override', 'Bot\u202etxt.exe'],
    ['U+2066-2069 isolates', 'a\u2066b\u2069'],
    ['U+200E left-to-right mark', 'a\u200eb'],
    ['U+200F right-to-left mark', 'a\u200fb'],
    ['U+061C Arabic letter mark', 'a\u061cb'],
    ['U+200B zero-width space', 'a\u200bb'],
    ['U+2028 line separator', 'a\u2028b'],
    ['a lone surrogate', 'a\ud800b'],
    ['201 characters', 'x'.repeat(201)],
    ['100,000 characters', 'x'.repeat(100_000)],
    ['only spaces', '   '],
    ['not a string', 42 as unknown as string],
  ])('should refuse a name with %s, writing nothing', async (_case, name) => {
    const before = (await admin.listApplications()).length;
    await refusal(() => admin.createApplication({ name }), 'name');
    expect((await admin.listApplications()).length).toBe(before);
  });

  it('should accept 200 characters, counted as people count them, and the joiners scripts and emoji need', async () => {
    for (const name of ['x'.repeat(200), '\u{1F600}'.repeat(200), 'Persian \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', 'Coder \u{1F469}\u200d\u{1F4BB}']) {
      expect((await admin.createApplication({ name })).name).toBe(name);
    }
  });

  it.each([
    ['U+202E right-to-left override', 'acme\u202e'],
    ['U+2066/U+2069 isolates', '\u2066acme\u2069'],
    ['U+200E left-to-right mark', '\u200eacme'],
    ['U+200F right-to-left mark', 'acme\u200f'],
    ['U+061C Arabic letter mark', '\u061cacme'],
    ['U+200B zero-width space', 'ac\u200bme'],
    ['U+200D zero-width joiner', 'ac\u200dme'],
    ['U+FEFF byte order mark', '\ufeffacme'],
    ['a tag character', 'acme\u{E0041}'],
    ['ESC', 'acme\u001b[2J'],
    ['C1 NEL', 'acme\u0085'],
    ['129 characters', 'c'.repeat(129)],
    ['the empty string', ''],
  ])('should refuse a company id with %s, installing nothing', async (_case, companyId) => {
    const created = await admin.createApplication({ name: 'Company checks' });
    await refusal(() => admin.install(created.publicId, companyId), 'companyId');
    expect((await admin.listApplications()).find((application) => application.publicId === created.publicId)?.companies).toEqual([]);
  });

  it('should accept a company id of 128 characters, the validator\'s limit', async () => {
    const created = await admin.createApplication({ name: 'Long company' });
    expect(await admin.install(created.publicId, 'c'.repeat(128))).toEqual({ created: true, capabilities: [], privileges: [] });
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
    expect(await admin.install(created.publicId, 'acme')).toEqual({ created: true, capabilities: [], privileges: [] });
    expect(await admin.install(created.publicId, 'acme')).toEqual({ created: false, capabilities: [], privileges: [] });
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
      capabilities: [],
      privileges: [],
      allowedIps: [],
      companies: ['z-company'],
      installations: [{ companyId: 'z-company', capabilities: [], privileges: [] }],
      imported: false,
      keys: [{ id: expect.any(String), createdAt: expect.any(Date), expiresAt: null, revokedAt: null, lastUsedAt: null, needsRotation: false }],
    });
  });

  it.each([
    ['addKey', () => admin.addKey('missing')],
    ['rotateKey', () => admin.rotateKey('missing')],
    ['revokeKey', () => admin.revokeKey('missing', 'k')],
    ['install', () => admin.install('missing', 'c')],
    ['setAccess', () => admin.setAccess('missing', { capabilities: [] })],
    ['uninstall', () => admin.uninstall('missing', 'c')],
    ['setEnabled', () => admin.setEnabled('missing', false)],
  ])('%s should throw ApplicationNotFoundError for an unknown application', async (_name, run) => {
    await expect(run()).rejects.toBeInstanceOf(ApplicationNotFoundError);
  });
});
