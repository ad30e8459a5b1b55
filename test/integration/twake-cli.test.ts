// The CLI's capabilities, privileges, allowed IPs and Twake import, on SQLite and PostgreSQL, against the real server process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';
import { timeUntil } from '../helpers/eventually';

const EXPORT = join(__dirname, '..', 'fixtures', 'twake', 'export.json');
// The documented propagation bounds: PostgreSQL notifies at once (1 s), SQLite waits for the cache TTL (2 s).
const BOUND_MS = { sqlite: 2000, postgresql: 1000 } as const;

interface Summary {
  publicId: string;
  capabilities: string[];
  privileges: string[];
  allowedIps: string[];
  installations: Array<{ companyId: string; capabilities: string[]; privileges: string[] }>;
}


describe.each(testProviders())('capabilities, privileges, allowed IPs and import on %s', (provider) => {
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  let server: ServerProcess;
  const list = async () => (await cliJson<{ applications: Summary[] }>(['app', 'list'], env)).applications;

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl(provider);
    env = { DATABASE_URL: database.url };
    drop = database.drop;
    await cliJson(['migrate'], env);
    server = await startServer({ ...env, NODE_ENV: 'development', TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await server.stop();
    await drop();
  });

  it('creates, sets, installs with and without --grant, and lists what is declared and granted', async () => {
    const created = await cliJson<{ publicId: string }>(['app', 'create', '--name', 'Bot', '--capabilities', 'messages_save,messages_remove', '--privileges', 'channels', '--allowed-ips', '10.1.2.3/8,::1'], env);
    const all = await cliJson(['app', 'install', created.publicId, '--company', 'all'], env);
    expect(all).toEqual({ publicId: created.publicId, companyId: 'all', capabilities: ['messages_save', 'messages_remove'], privileges: ['channels'] });
    const some = await cliJson(['app', 'install', created.publicId, '--company', 'some', '--grant', 'messages_save'], env);
    expect(some).toMatchObject({ capabilities: ['messages_save'], privileges: [] });
    // Idempotent: installing again without --grant keeps the grants.
    expect(await cliJson(['app', 'install', created.publicId, '--company', 'some'], env)).toMatchObject({ capabilities: ['messages_save'] });
    await cliJson(['app', 'set', created.publicId, '--allowed-ips', '*', '--privileges', 'channels,workspace'], env);
    const listed = (await list()).find((application) => application.publicId === created.publicId);
    expect(listed).toMatchObject({
      capabilities: ['messages_save', 'messages_remove'],
      privileges: ['channels', 'workspace'],
      allowedIps: [],
      installations: [
        { companyId: 'all', capabilities: ['messages_save', 'messages_remove'], privileges: ['channels'] },
        { companyId: 'some', capabilities: ['messages_save'], privileges: [] },
      ],
    });
    const human = await runCli(['app', 'list'], env);
    expect(human.stdout).toContain('granted by some');
  });

  it.each([
    [['app', 'create', '--name', 'X', '--capabilities', 'messages_save,launch_rockets'], /Unknown capability "launch_rockets"/],
    [['app', 'create', '--name', 'X', '--privileges', 'everything'], /Unknown privilege "everything"/],
    [['app', 'create', '--name', 'X', '--allowed-ips', '10.0.0.0/8,10.1'], /Invalid allowed IP "10\.1"/],
    [['app', 'create', '--name', 'X', '--allowed-ips', '2001:db8::/200'], /Invalid allowed IP "2001:db8::\/200"/],
  ])('refuses %j with one line naming the bad value, writing nothing', async (args, message) => {
    const before = (await list()).length;
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect((await list()).length).toBe(before);
  });

  it('refuses to grant what the application does not declare, and to set an unknown name, leaving it as it was', async () => {
    const created = await cliJson<{ publicId: string }>(['app', 'create', '--name', 'Narrow', '--capabilities', 'drive_save'], env);
    const grant = await runCli(['app', 'install', created.publicId, '--company', 'c', '--grant', 'drive_save,drive_remove'], env);
    expect(grant.code).toBe(2);
    expect(grant.stderr).toMatch(/Cannot grant "drive_remove"/);
    const set = await runCli(['app', 'set', created.publicId, '--capabilities', 'drive_save', '--allowed-ips', 'nope'], env);
    expect(set.code).toBe(2);
    const listed = (await list()).find((application) => application.publicId === created.publicId);
    expect(listed).toMatchObject({ capabilities: ['drive_save'], allowedIps: [], installations: [] });
  });

  it(`propagates a grant change and an allowed-IP change to the running server within ${BOUND_MS[provider]} ms`, async () => {
    const created = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Live', '--capabilities', 'messages_save'], env);
    await cliJson(['app', 'install', created.publicId, '--company', 'live', '--grant', ''], env);
    const verify = () =>
      request(server.url).get('/auth/verify').auth(created.publicId, created.privateKey).set('X-Original-Method', 'POST').set('X-Original-URI', '/api/v1/messages/save?group_id=live').set('X-Forwarded-For', '10.1.2.3');
    const first = await verify();
    expect(first.status).toBe(403);
    expect(first.body.code).toBe('missing_capability');

    await cliJson(['app', 'install', created.publicId, '--company', 'live', '--grant', 'messages_save'], env);
    await timeUntil(async () => (await verify()).status === 204, BOUND_MS[provider] + 500);
    expect((await verify()).headers['x-twake-capabilities']).toBe('messages_save');

    await cliJson(['app', 'set', created.publicId, '--allowed-ips', '192.168.0.0/16'], env);
    await timeUntil(async () => (await verify()).body.code === 'ip_not_allowed', BOUND_MS[provider] + 500);
  });

  it('imports both Twake shapes with their keys, idempotently, and reports a dry run without writing', async () => {
    const document = JSON.parse(readFileSync(EXPORT, 'utf8'));
    const dry = await cliJson<{ dryRun: boolean; applications: Array<{ application: string }> }>(['import', '--from', EXPORT, '--dry-run'], env);
    expect(dry.applications.map((summary) => summary.application)).toEqual(['created', 'created']);
    expect((await list()).some((application) => application.publicId === document.applications[0].id)).toBe(false);

    const first = await cliJson<{ applications: Array<Record<string, unknown>> }>(['import', '--from', EXPORT], env);
    expect(first.applications).toEqual([
      { publicId: document.applications[0].id, name: 'Legacy PHP bot', application: 'created', keyAdded: true, installationsCreated: ['company-a'], installationsUpdated: [] },
      { publicId: document.applications[1].id, name: 'Node-era bot', application: 'created', keyAdded: true, installationsCreated: ['company-b'], installationsUpdated: [] },
    ]);
    const again = await cliJson<{ applications: Array<Record<string, unknown>> }>(['import', '--from', EXPORT], env);
    expect(again.applications.map((summary) => [summary.application, summary.keyAdded, summary.installationsCreated])).toEqual([
      ['unchanged', false, []],
      ['unchanged', false, []],
    ]);
    const imported = (await list()).filter((application) => application.publicId === document.applications[0].id || application.publicId === document.applications[1].id);
    expect(imported).toEqual([
      expect.objectContaining({ capabilities: ['messages_save', 'display_modal'], privileges: ['channels'], allowedIps: [], installations: [{ companyId: 'company-a', capabilities: ['messages_save', 'display_modal'], privileges: ['channels'] }] }),
      expect.objectContaining({ capabilities: ['messages_save', 'messages_remove'], privileges: ['channels', 'workspace'], allowedIps: ['127.0.0.1/32', '::1/128'], installations: [{ companyId: 'company-b', capabilities: ['messages_save'], privileges: [] }] }),
    ]);

    // The same Twake keys work against the server (the Node-era one only from its allowed addresses).
    const php = document.applications[0];
    const node = document.applications[1];
    const phpAnswer = await request(server.url).get('/api/v1/auth/test?group_id=company-a').auth(php.id, php.api_private_key).set('X-Forwarded-For', '203.0.113.5');
    expect(phpAnswer.status).toBe(200);
    expect((await request(server.url).get('/api/v1/auth/test?group_id=company-b').auth(node.id, node.api.private_key)).status).toBe(200);
    const elsewhere = await request(server.url).get('/api/v1/auth/test?group_id=company-b').auth(node.id, node.api.private_key).set('X-Forwarded-For', '203.0.113.5');
    expect(elsewhere.body.code).toBe('ip_not_allowed');
  });

  it('refuses grants the application does not declare, and the same installation twice, before writing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'twake-import-'));
    const file = join(folder, 'grants.json');
    const app = { id: 'c0ffee00-0000-4000-8000-000000000001', name: 'Modal only', api_private_key: 'c2VjcmV0', capabilities: ['display_modal'] };
    writeFileSync(
      file,
      JSON.stringify({
        applications: [app],
        group_apps: [
          { group_id: 'g1', app_id: app.id, capabilities: ['messages_save'], privileges: ['drive_list'] },
          { group_id: 'g2', app_id: app.id },
          { group_id: 'g2', app_id: app.id },
        ],
      }),
    );
    for (const args of [['import', '--from', file], ['import', '--from', file, '--dry-run']]) {
      const run = await runCli(args, env);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('group_apps[0]: grants ["messages_save","drive_list"], which the application does not declare');
      expect(run.stderr).toContain('group_apps[2]: the same application and company as group_apps[1]');
    }
    expect((await list()).some((application) => application.publicId === app.id)).toBe(false);
  });

  it('refuses bad input before creating or migrating a database', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'twake-refused-'));
    const fresh = { DATABASE_URL: `file:${join(folder, 'fresh.db')}` };
    expect((await runCli(['app', 'create', '--name', 'X', '--capabilities', 'fly'], fresh)).code).toBe(2);
    expect((await runCli(['app', 'create', '--name', 'X', '--allowed-ips', 'nope'], fresh)).code).toBe(2);
    writeFileSync(join(folder, 'bad.json'), '{"applications": [{}]}');
    expect((await runCli(['import', '--from', join(folder, 'bad.json')], fresh)).code).toBe(1);
    expect(readdirSync(folder)).toEqual(['bad.json']);
  });

  it('reports every malformed record by index and writes nothing of the file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'twake-import-'));
    const file = join(folder, 'bad.json');
    const good = { id: 'b1e2c3d4-0000-4000-8000-000000000001', name: 'Would be fine', api_private_key: 'c2VjcmV0' };
    writeFileSync(
      file,
      JSON.stringify({
        applications: [good, { id: 'x', name: 'No key' }, { identity: { name: 'No id' }, api: { private_key: 'k' } }, { ...good, id: 'b1e2c3d4-0000-4000-8000-000000000002', capabilities: ['fly'] }],
        group_apps: [{ group_id: 'c', app_id: 'nobody' }],
      }),
    );
    const run = await runCli(['import', '--from', file], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('applications[1]: missing or invalid private key');
    expect(run.stderr).toContain('applications[2].id');
    expect(run.stderr).toContain('applications[3].capabilities: unknown ["fly"]');
    expect(run.stderr).toContain('group_apps[0].app_id');
    expect((await list()).some((application) => application.publicId === good.id)).toBe(false);
  });
});
