// Regression for grants wider than the declaration: after `app set` narrowed what an application declares,
// its installations kept what they were granted before (through the CLI and the running server, on both
// databases); an import narrowing it, or an install racing `app set`, left wider grants in storage that a
// later widening brought back (through the admin API and the importer).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testProviders } from '../helpers/databases';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';
import { eventually } from '../helpers/eventually';
import { cliJson, type ServerProcess } from '../helpers/processes';
import { basicAuthorization } from '../../src/testing';
import { createAdmin } from '../../src';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImport } from '../../server/src/import/run-import';
import { openImportStore } from '../../server/src/import/open-import-store';
import { useTestDatabase } from '../helpers/use-test-database';

interface Listed {
  publicId: string;
  capabilities: string[];
  privileges: string[];
  installations: Array<{ companyId: string; capabilities: string[]; privileges: string[] }>;
}

describe.each(testProviders())('grants follow the declaration (%s)', (provider) => {
  let started: ServerWithApp;
  let env: NodeJS.ProcessEnv;
  let server: ServerProcess;
  let app: { publicId: string; privateKey: string };

  /** Forward-auth's answer for a Twake v1 route in company acme (POST: every v1 route takes only POST). */
  const verify = async (route: string) =>
    (await fetch(`${server.url}/auth/verify/api/v1/${route}?group_id=acme`, { method: 'POST', headers: { Authorization: basicAuthorization(app.publicId, app.privateKey) } })).status;
  const grantsInAcme = async () => {
    const listed = (await cliJson<{ applications: Listed[] }>(['app', 'list'], env)).applications.find((application) => application.publicId === app.publicId) as Listed;
    return { declared: { capabilities: listed.capabilities, privileges: listed.privileges }, acme: listed.installations.find((installation) => installation.companyId === 'acme') };
  };

  beforeAll(async () => {
    started = await startServerWithApp(provider, { name: 'Grants', createArgs: ['--capabilities', 'messages_save,drive_remove', '--privileges', 'workspace_drive,drive_list'] });
    ({ env, server, app } = started);
  });

  afterAll(async () => started?.stop());

  it('passes every declared route while the declaration covers it (positive control)', async () => {
    expect(await verify('drive/remove')).toBe(204);
    expect(await verify('drive/list')).toBe(204);
  });

  it('narrows every installation at once when the declaration narrows, in the server and in `app list`', async () => {
    await cliJson(['app', 'set', app.publicId, '--capabilities', 'messages_save', '--privileges', ''], env);
    await eventually(async () => expect(await verify('drive/remove')).toBe(403), 3000);
    expect(await verify('drive/list')).toBe(403);
    expect(await verify('messages/save')).toBe(204);
    expect(await grantsInAcme()).toEqual({ declared: { capabilities: ['messages_save'], privileges: [] }, acme: { companyId: 'acme', capabilities: ['messages_save'], privileges: [] } });
  });

  it('grants nothing back when the declaration widens again, until `app install --grant` says so', async () => {
    await cliJson(['app', 'set', app.publicId, '--capabilities', 'messages_save,drive_remove', '--privileges', 'workspace_drive,drive_list'], env);
    // Past the cache's TTL, so that a stale answer cannot explain a 403.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await verify('drive/remove')).toBe(403);
    expect(await verify('drive/list')).toBe(403);
    expect((await grantsInAcme()).acme).toEqual({ companyId: 'acme', capabilities: ['messages_save'], privileges: [] });
    await cliJson(['app', 'install', app.publicId, '--company', 'acme', '--grant', 'messages_save,drive_remove,workspace_drive,drive_list'], env);
    await eventually(async () => expect(await verify('drive/remove')).toBe(204), 3000);
    expect(await verify('drive/list')).toBe(204);
  });
});

describe.each(testProviders())('grants stay within the declaration through the admin API and imports (%s)', (provider) => {
  const database = useTestDatabase(provider);
  const wide = { capabilities: ['messages_save', 'drive_save'], privileges: ['channels', 'workspace'] };
  const grantsIn = async (publicId: string, company: string) =>
    (await createAdmin(database().prisma).listApplications()).find((application) => application.publicId === publicId)?.installations.find((installation) => installation.companyId === company);

  it('an import that narrows the declaration narrows the stored grants: widening again grants nothing back', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Imported', ...wide });
    await admin.install(created.publicId, 'acme');
    const file = join(mkdtempSync(join(tmpdir(), 'narrowing-')), 'export.json');
    const narrowing = { id: created.publicId, identity: { name: 'Imported' }, api: { private_key: created.privateKey }, access: { write: ['messages_save'], read: ['channels'] } };
    writeFileSync(file, JSON.stringify({ applications: [narrowing] }));
    const store = await openImportStore(database().url);
    try {
      const report = await runImport(store, { files: [file], updateExisting: true, overwrite: true });
      expect(report.counts.overwritten).toBe(1);
    } finally {
      await store.close();
    }
    expect(await grantsIn(created.publicId, 'acme')).toEqual({ companyId: 'acme', capabilities: ['messages_save'], privileges: ['channels'] });
    await admin.setAccess(created.publicId, wide);
    expect(await grantsIn(created.publicId, 'acme')).toEqual({ companyId: 'acme', capabilities: ['messages_save'], privileges: ['channels'] });
  });

  it('an install racing a narrowing `app set` ends within the declaration, and widening grants nothing back', async () => {
    const admin = createAdmin(database().prisma);
    for (let round = 0; round < 12; round += 1) {
      const created = await admin.createApplication({ name: `Race ${round}`, ...wide });
      await Promise.all([admin.install(created.publicId, 'race'), admin.setAccess(created.publicId, { capabilities: ['messages_save'], privileges: [] })]);
      await admin.setAccess(created.publicId, wide);
      expect([round, await grantsIn(created.publicId, 'race')]).toEqual([round, { companyId: 'race', capabilities: ['messages_save'], privileges: [] }]);
    }
  });
});
