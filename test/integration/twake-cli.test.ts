// The CLI's capabilities, privileges, allowed IPs on SQLite and PostgreSQL, against the real server process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';
import { timeUntil } from '../helpers/eventually';

// The documented propagation bounds: PostgreSQL notifies at once (1 s), SQLite waits for the cache TTL (2 s).
const BOUND_MS = { sqlite: 2000, postgresql: 1000 } as const;

interface Summary {
  publicId: string;
  capabilities: string[];
  privileges: string[];
  allowedIps: string[];
  installations: Array<{ companyId: string; capabilities: string[]; privileges: string[] }>;
}


describe.each(testProviders())('capabilities, privileges, allowed IPs on %s', (provider) => {
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
});
