// `twake-app-auth import` on real Twake exports (PHP and Node eras, encrypted), on SQLite and PostgreSQL, against the real server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';
import { TEST_TWAKE_SECRET, encodedJson, nodeKey } from '../helpers/twake-encryption';
import { cqlshSelectJson, mongoexportLines, mysqlLines, mysqlOrderedHex, nodeEraRows, phpEraRows } from '../helpers/twake-exports';
import { openImportStore } from '../../server/src/import/open-import-store';
import { runImport } from '../../server/src/import/run-import';
import { migrate } from '../../server/src/database/migrate';

interface Listed {
  publicId: string;
  name: string;
  capabilities: string[];
  privileges: string[];
  allowedIps: string[];
  imported: boolean;
  installations: Array<{ companyId: string; capabilities: string[]; privileges: string[] }>;
  keys: Array<{ needsRotation: boolean }>;
}

interface Report {
  dryRun: boolean;
  counts: Record<string, number>;
  keysAdded: number;
  installations: { read: number; written: number; orphans: number; ofSkippedApplications: number };
  translations: Record<string, number>;
  decrypted: Record<string, number>;
  warnings: string[];
  weakKeys: string[];
  applications: Array<{ publicId: string; action: string; notes: string[] }>;
}

const folder = mkdtempSync(join(tmpdir(), 'twake-import-'));
const write = (name: string, text: string): string => {
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
};

const php = phpEraRows();
const node = nodeEraRows();
// PHP era on MySQL (time UUIDs as MysqlTimeUUIDType stores them), and the same era on Cassandra through cqlsh.
const mysqlFile = write(
  'php-mysql.jsonl',
  mysqlLines([
    { ...php.applications[0], id: mysqlOrderedHex(php.legacyBot.publicId), group_id: mysqlOrderedHex(php.developer) },
    ...php.groupApps.slice(0, 3).map((row) => ({ ...row, app_id: mysqlOrderedHex(row.app_id), group_id: row.group_id === php.developer ? mysqlOrderedHex(php.developer) : row.group_id })),
  ]),
);
const cqlshApplications = write('php-application.cql.txt', cqlshSelectJson([php.applications[1] ?? {}]));
const cqlshGroupApps = write('php-group_app.cql.txt', cqlshSelectJson(php.groupApps.slice(3)));
const mongoApplications = write('node-applications.jsonl', mongoexportLines(node.applications));
const mongoGroupApps = write('node-group_app.jsonl', mongoexportLines(node.groupApps));
const entityGroupApps = write('node-entities.json', JSON.stringify({ group_apps: node.entityGroupApps }));
const ALL = [mysqlFile, cqlshApplications, cqlshGroupApps, mongoApplications, mongoGroupApps, entityGroupApps].flatMap((file) => ['--from', file]);

describe.each(testProviders())('import of Twake exports on %s', (provider) => {
  let env: NodeJS.ProcessEnv;
  let url: string;
  let drop: () => Promise<void>;
  let server: ServerProcess;
  const list = async () => (await cliJson<{ applications: Listed[] }>(['app', 'list'], env)).applications;
  const find = async (publicId: string) => (await list()).find((application) => application.publicId === publicId);
  const route = (publicId: string, key: string, path: string, company: string, from = '127.0.0.1') =>
    request(server.url).get('/auth/verify').auth(publicId, key).set('X-Original-URI', `/api/v1/${path}?group_id=${company}`).set('X-Original-Method', 'POST').set('X-Forwarded-For', from);

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl(provider);
    url = database.url;
    env = { DATABASE_URL: url, TWAKE_IMPORT_SECRET: TEST_TWAKE_SECRET };
    drop = database.drop;
    await cliJson(['migrate'], env);
    server = await startServer({ DATABASE_URL: url, NODE_ENV: 'development', TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await server.stop();
    await drop();
  });

  it('refuses encrypted exports without the secret, and never prints the secret', async () => {
    const refused = await runCli(['import', ...ALL], { DATABASE_URL: url });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/encrypted value does not decrypt with this secret/);
    const wrong = await runCli(['import', ...ALL, '--twake-secret', 'ab'.repeat(24), '--verbose'], { DATABASE_URL: url });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toContain('ab'.repeat(24));
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("imports every application of both eras with its key, each grant as Twake allowed it, orphans skipped", async () => {
    const report = await cliJson<Report>(['import', ...ALL], env);
    expect(report.counts).toMatchObject({ created: 3, skipped: 0 });
    expect(report.installations).toEqual({ read: 7, written: 6, orphans: 1, ofSkippedApplications: 0 });
    expect(report.warnings).toEqual([expect.stringMatching(/application ffffffff-2b3c-11eb-9f1a-0242ac120002 is not in the export \(deleted in Twake\?\): installation skipped/)]);
    expect(report.decrypted.legacy).toBeGreaterThan(0);
    expect(report.decrypted.v1).toBeGreaterThan(0);
    expect(report.decrypted.v2).toBeGreaterThan(0);
    expect(report.translations).toMatchObject({
      'empty capabilities (Twake allowed every capability): all declared': 1,
      "developer company (Twake's $group_id == $app->getGroupId()): all declared": 1,
      'privileges null (Twake skipped every check): all declared': 1,
      'granted but no longer declared (Twake honoured it): dropped': 1,
      'no grant columns (Node era): all declared': 2,
    });

    const legacy = await find(php.legacyBot.publicId);
    expect(legacy).toMatchObject({ name: 'Legacy PHP bot', capabilities: ['messages_save', 'display_modal', 'messages_send'], privileges: ['channels'], allowedIps: [], imported: true });
    expect(legacy?.installations).toEqual([
      { companyId: php.developer, capabilities: ['messages_save', 'display_modal', 'messages_send'], privileges: ['channels'] },
      { companyId: 'company-empty', capabilities: ['messages_save', 'display_modal', 'messages_send'], privileges: [] },
      { companyId: 'company-narrow', capabilities: ['messages_save'], privileges: ['channels'] },
    ]);
    const jitsi = await find(php.jitsi.publicId);
    expect(jitsi).toMatchObject({ name: 'Jitsi', allowedIps: ['127.0.0.0/8', '::1/128'], installations: [{ companyId: 'company-null', capabilities: ['messages_save', 'messages_send'], privileges: ['channels', 'workspace'] }] });
    const n8n = await find(node.n8n.publicId);
    expect(n8n).toMatchObject({ name: 'n8n', capabilities: ['messages_save', 'messages_remove'], privileges: ['channels'] });
    expect(n8n?.installations.map((installation) => installation.companyId).sort()).toEqual(['b2e1d0c0-8d1e-11ec-a8a3-0242ac120002', 'c4a0e5b0-8d1e-11ec-a8a3-0242ac120002']);
    const notes = report.applications.find((application) => application.publicId === node.n8n.publicId)?.notes ?? [];
    expect(notes).toEqual(expect.arrayContaining(['access.write "messages" → messages_save', 'access.read "users": no v1 route needs it, not imported']));

    // The same keys work over HTTP, and each route answers as Twake would have.
    expect((await route(php.legacyBot.publicId, php.legacyBot.privateKey, 'messages/save', 'company-empty', '203.0.113.9')).status).toBe(204);
    expect((await route(php.legacyBot.publicId, php.legacyBot.privateKey, 'channels/get_by_workspace', 'company-empty')).body.code).toBe('missing_privilege');
    expect((await route(php.legacyBot.publicId, php.legacyBot.privateKey, 'general/configure', 'company-narrow')).body.code).toBe('missing_capability');
    expect((await route(php.legacyBot.publicId, php.legacyBot.privateKey, 'channels/get_by_workspace', php.developer)).status).toBe(204);
    expect((await route(php.jitsi.publicId, php.jitsi.privateKey, 'messages/save', 'company-null')).status).toBe(204);
    expect((await route(php.jitsi.publicId, php.jitsi.privateKey, 'messages/save', 'company-null', '203.0.113.9')).body.code).toBe('ip_not_allowed');
    expect((await route(node.n8n.publicId, node.n8n.privateKey, 'messages/remove', node.company)).status).toBe(204);
    expect((await route(node.n8n.publicId, 'wrong-key', 'messages/remove', node.company)).status).toBe(401);
  });

  it('keeps restrictions an administrator set since on a re-run, and resets them only with --overwrite', async () => {
    await cliJson(['app', 'set', php.jitsi.publicId, '--allowed-ips', '10.9.0.0/16'], env);
    await cliJson(['app', 'install', php.legacyBot.publicId, '--company', 'company-empty', '--grant', 'messages_save'], env);
    const again = await cliJson<Report>(['import', ...ALL], env);
    expect(again.counts).toMatchObject({ created: 0, kept: 3 });
    expect(again.keysAdded).toBe(0);
    expect((await find(php.jitsi.publicId))?.allowedIps).toEqual(['10.9.0.0/16']);
    expect((await find(php.legacyBot.publicId))?.installations.find((row) => row.companyId === 'company-empty')).toEqual({ companyId: 'company-empty', capabilities: ['messages_save'], privileges: [] });

    const overwritten = await cliJson<Report>(['import', ...ALL, '--overwrite'], env);
    expect(overwritten.counts).toMatchObject({ overwritten: 3 });
    expect((await find(php.jitsi.publicId))?.allowedIps).toEqual(['127.0.0.0/8', '::1/128']);
    expect((await find(php.legacyBot.publicId))?.installations.find((row) => row.companyId === 'company-empty')?.capabilities).toEqual(['messages_save', 'display_modal', 'messages_send']);
  });

  it('keeps a grant Twake honoured beyond the declaration with --twake-grants', async () => {
    const report = await cliJson<Report>(['import', ...ALL, '--overwrite', '--twake-grants'], env);
    expect(report.translations['granted but no longer declared (Twake honoured it): added to the declaration']).toBe(3);
    expect(report.translations['empty capabilities (Twake allowed every capability): every v1 capability']).toBe(1);
    const legacy = await find(php.legacyBot.publicId);
    expect(legacy?.privileges).toEqual(['channels', 'workspace']);
    expect(legacy?.installations.find((row) => row.companyId === 'company-empty')?.capabilities).toContain('drive_save');
    expect((await find(php.jitsi.publicId))?.installations[0]?.privileges).toContain('workspace_drive');
    expect(legacy?.installations.find((row) => row.companyId === 'company-narrow')).toEqual({ companyId: 'company-narrow', capabilities: ['messages_save'], privileges: ['channels', 'workspace'] });
  });

  it('never changes an application it did not create, unless --update-existing', async () => {
    const created = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Made here', '--allowed-ips', '10.0.0.0/8'], env);
    const key = nodeKey();
    const file = write(`existing-${provider}.json`, JSON.stringify({ applications: [{ id: created.publicId, identity: JSON.stringify({ name: 'From Twake' }), api: encodedJson({ private_key: key, allowed_ips: '*' }), access: '{}' }], group_apps: [{ group_id: 'x', app_id: created.publicId }] }));
    const skipped = await cliJson<Report>(['import', '--from', file], env);
    expect(skipped.counts).toMatchObject({ skipped: 1 });
    expect(skipped.warnings[0]).toMatch(/was not created by an import: left as it is \(--update-existing/);
    expect((await request(server.url).get('/api/v1/auth/test?group_id=x').auth(created.publicId, key)).status).toBe(401);
    expect(await find(created.publicId)).toMatchObject({ name: 'Made here', allowedIps: ['10.0.0.0/8'], installations: [], imported: false });

    const updated = await cliJson<Report>(['import', '--from', file, '--update-existing'], env);
    expect(updated.counts).toMatchObject({ updated: 1 });
    expect(await find(created.publicId)).toMatchObject({ name: 'Made here', allowedIps: ['10.0.0.0/8'], installations: [{ companyId: 'x' }] });
    expect((await request(server.url).get('/api/v1/auth/test?group_id=x').auth(created.publicId, key).set('X-Forwarded-For', '10.1.1.1')).status).toBe(200);
  });

  it('refuses weak keys naming them, and imports them flagged for rotation with --allow-weak-keys', async () => {
    const weak = { id: '7e8f9a00-2b3c-11eb-9f1a-0242ac120002', name: 'Weak one', api_private_key: 'x' };
    const file = write(`weak-${provider}.json`, JSON.stringify({ applications: [weak] }));
    const refused = await runCli(['import', '--from', file], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a key of 1 characters, shorter than Twake generated \(136 in the PHP era\): refused \(--allow-weak-keys/);
    expect(await find(weak.id)).toBeUndefined();
    const allowed = await cliJson<Report>(['import', '--from', file, '--allow-weak-keys'], env);
    expect(allowed.weakKeys).toEqual([weak.id]);
    expect((await find(weak.id))?.keys).toEqual([expect.objectContaining({ needsRotation: true })]);
    expect((await runCli(['app', 'list'], env)).stdout).toContain('ROTATE: a weak imported key');
  });

  it('--dry-run touches nothing: no file, no migration, no row', async () => {
    const empty = await createEmptyDatabaseUrl(provider);
    try {
      const dry = await cliJson<Report>(['import', ...ALL, '--dry-run'], { DATABASE_URL: empty.url, TWAKE_IMPORT_SECRET: TEST_TWAKE_SECRET });
      expect(dry).toMatchObject({ dryRun: true, counts: { created: 3 } });
      if (provider === 'sqlite') expect(existsSync(empty.url.slice('file:'.length))).toBe(false);
      else {
        const client = new Client({ connectionString: empty.url });
        await client.connect();
        const { rows } = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
        await client.end();
        expect(rows[0]).toEqual({ n: 0 });
      }
    } finally {
      await empty.drop();
    }
    const before = await list();
    const dryHere = await cliJson<Report>(['import', ...ALL, '--dry-run', '--overwrite'], env);
    expect(dryHere.counts.overwritten).toBe(3);
    expect(await list()).toEqual(before);
  });

  it('imports 1,500 applications and 6,000 installations in batches', async () => {
    const big = await createEmptyDatabaseUrl(provider);
    try {
      const lines: string[] = [];
      for (let index = 0; index < 1500; index += 1) {
        const id = `00000000-0000-4000-8000-${index.toString().padStart(12, '0')}`;
        lines.push(JSON.stringify({ id, name: `App ${index}`, api_private_key: `k${index}`.padEnd(136, 'x'), api_allowed_ip: '"*"', capabilities: '["messages_save"]', privileges: '[]' }));
        for (let company = 0; company < 4; company += 1) lines.push(JSON.stringify({ group_id: `company-${company}`, app_id: id, capabilities: '[]', privileges: '[]' }));
      }
      const file = write(`big-${provider}.jsonl`, `${lines.join('\n')}\n`);
      await migrate(big.url);
      const store = await openImportStore(big.url);
      const seen: number[] = [];
      try {
        const report = await runImport(store, { files: [file], batchSize: 1000, onProgress: (done) => seen.push(done) });
        expect(report.counts.created).toBe(1500);
        expect(report.installations.written).toBe(6000);
      } finally {
        await store.close();
      }
      expect(seen.at(-1)).toBe(7500);
      expect(seen.length).toBeGreaterThan(5);
    } finally {
      await big.drop();
    }
  });
});

it('reports a database it cannot reach in one line with its cause, after checking the file', async () => {
  const run = await runCli(['import', ...ALL], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere', TWAKE_IMPORT_SECRET: TEST_TWAKE_SECRET });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^twake-app-auth: cannot reach the database \(.*ECONNREFUSED.*\)\n$/);
});

it('leaves no stray files in the fixture folder', () => {
  expect(readdirSync(folder).every((name) => /\.(jsonl?|txt)$/.test(name))).toBe(true);
});
