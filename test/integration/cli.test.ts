// The real `twake-app-auth` command, spawned, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { sqlitePath } from '../../server/src/database/database-url';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, runCli } from '../helpers/processes';

// What must never reach the operator's terminal raw: controls but the line feeds we print, DEL, C1,
// bidi and other format characters, line and paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/** Runs one statement ($1, $2… in order) straight on the database, as an older version or a person at psql might. */
async function sql(url: string, text: string, params: string[]): Promise<void> {
  if (url.startsWith('file:')) {
    const db = new Database(sqlitePath(url));
    try {
      db.prepare(text.replace(/\$\d+/g, '?')).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

describe('twake-app-auth CLI defaults', () => {
  it('should create the SQLite default under the current directory on first use', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'twake-cli-'));
    try {
      const result = await runCli(['app', 'list', '--json'], {}, folder);
      expect(result).toEqual({ code: 0, stdout: '{"applications":[]}\n', stderr: '' });
      expect(existsSync(join(folder, 'data', 'twake-app-auth.db'))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('should print the version with --version, and the usage with --help on stdout', async () => {
    const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect(await runCli(['--version'], {})).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: twake-app-auth/);
  });

  it('should print one line on stderr and exit 2 on a wrong command line (including none)', async () => {
    for (const args of [[], ['frobnicate'], ['app', 'explode'], ['app', 'create'], ['app', 'install', 'x'], ['app', 'rotate-key', 'x', '--grace', 'soon'], ['app', 'list', '--bogus']]) {
      const result = await runCli(args, { DATABASE_URL: 'file:/nonexistent/never-used.db' });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('says what is wrong in one readable line: a negative --grace, a JSON file that does not parse', async () => {
    const negative = await runCli(['app', 'rotate-key', 'x', '--grace', '-5'], { DATABASE_URL: 'file:/nonexistent/never-used.db' });
    expect(negative.stderr).toBe('twake-app-auth: --grace needs a value; one that starts with "-" is written --grace=VALUE (see twake-app-auth --help)\n');
    const written = await runCli(['app', 'rotate-key', 'x', '--grace=-5'], { DATABASE_URL: 'file:/nonexistent/never-used.db' });
    expect(written.stderr).toBe('twake-app-auth: --grace must be a whole number of seconds (see twake-app-auth --help)\n');
    const folder = mkdtempSync(join(tmpdir(), 'twake-import-'));
    try {
      writeFileSync(join(folder, 'broken.json'), '{"applications": [\n  {"id": 1,\n  ]}');
      const broken = await runCli(['import', '--from', join(folder, 'broken.json')], { DATABASE_URL: `file:${join(folder, 'db.sqlite')}` });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/^twake-app-auth: cannot import: \S+broken\.json is not valid JSON: expected double-quoted property name at line 3, column 3\n$/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe.each(testProviders())('twake-app-auth CLI on %s', (provider) => {
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl(provider);
    env = { DATABASE_URL: database.url };
    drop = database.drop;
  });

  afterAll(async () => {
    await drop();
  });

  it('migrate: applies pending migrations once', async () => {
    // SQLite's second migration creates nothing (PostgreSQL change triggers only): there is nothing to apply.
    const all =
      provider === 'sqlite'
        ? ['20261128000000_init', '20261130000000_capabilities', '20261203000000_signing_keys', '20261204000000_import_tracking']
        : ['20261128000000_init', '20261129000000_change_notifications', '20261130000000_capabilities', '20261203000000_signing_keys', '20261204000000_import_tracking'];
    expect(await cliJson(['migrate'], env)).toEqual({ applied: all, adopted: [] });
    expect(await cliJson(['migrate'], env)).toEqual({ applied: [], adopted: [] });
    expect((await runCli(['migrate'], env)).stdout).toBe('Database is up to date.\n');
  });

  it('runs every app command with --json, printing the key only at create and rotate-key', async () => {
    const created = await cliJson<{ id: string; publicId: string; name: string; privateKey: string }>(['app', 'create', '--name', 'Calendar bot'], env);
    expect(Object.keys(created).sort()).toEqual(['id', 'name', 'privateKey', 'publicId']);
    expect(created.privateKey).toMatch(/^twk_/);
    const { publicId } = created;

    expect(await cliJson(['app', 'install', publicId, '--company', 'acme'], env)).toEqual({ publicId, companyId: 'acme', capabilities: [], privileges: [] });
    expect(await cliJson(['app', 'install', publicId, '--company', 'acme'], env)).toEqual({ publicId, companyId: 'acme', capabilities: [], privileges: [] });
    expect(await cliJson(['app', 'install', publicId, '--company', 'globex'], env)).toEqual({ publicId, companyId: 'globex', capabilities: [], privileges: [] });
    expect(await cliJson(['app', 'uninstall', publicId, '--company', 'globex'], env)).toEqual({ publicId, companyId: 'globex' });
    expect(await cliJson(['app', 'uninstall', publicId, '--company', 'globex'], env)).toEqual({ publicId, companyId: 'globex' });

    const rotated = await cliJson<{ publicId: string; privateKey: string; previousKeysExpireAt: string }>(['app', 'rotate-key', publicId, '--grace', '60'], env);
    expect(rotated.publicId).toBe(publicId);
    expect(rotated.privateKey).toMatch(/^twk_/);
    expect(Date.parse(rotated.previousKeysExpireAt)).toBeGreaterThan(Date.now() + 50_000);
    const immediate = await cliJson<{ previousKeysExpireAt: string }>(['app', 'rotate-key', publicId], env);
    expect(Date.parse(immediate.previousKeysExpireAt)).toBeLessThanOrEqual(Date.now());

    expect(await cliJson(['app', 'disable', publicId], env)).toEqual({ publicId, enabled: false });
    expect(await cliJson(['app', 'enable', publicId], env)).toEqual({ publicId, enabled: true });

    const listed = await cliJson<{ applications: Array<Record<string, unknown>> }>(['app', 'list'], env);
    const entry = listed.applications.find((application) => application.publicId === publicId);
    expect(entry).toMatchObject({ name: 'Calendar bot', enabled: true, companies: ['acme'] });
    expect(entry?.keys).toHaveLength(3);
    expect(JSON.stringify(listed)).not.toContain('twk_');
  });

  it('prints readable output with a hint of the next step, and says when nothing changed', async () => {
    const create = await runCli(['app', 'create', '--name', 'People'], env);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/public id: +[0-9a-f-]{36}\n/);
    expect(create.stdout).toMatch(/private key: +twk_/);
    const publicId = /public id: +([0-9a-f-]{36})/.exec(create.stdout)?.[1] as string;
    // The hint is a command that works from where the CLI was started (here: node and the script's path).
    const hint = /^Next: (.*) app install (\S+) --company <company-id>$/m.exec(create.stdout);
    expect(hint?.[1]).toBe('node server/dist/cli/main.js');
    expect(hint?.[2]).toBe(publicId);
    expect((await runCli(['app', 'install', publicId, '--company', 'acme'], env)).stdout).toBe(`Installed ${publicId} in company acme.\n  granted: capabilities: (none); privileges: (none)\n`);
    expect((await runCli(['app', 'install', publicId, '--company', 'acme'], env)).stdout).toContain('already installed');
    expect((await runCli(['app', 'uninstall', publicId, '--company', 'nowhere'], env)).stdout).toContain('was not installed');
    const list = await runCli(['app', 'list'], env);
    expect(list.stdout).toContain('People');
    expect(list.stdout).not.toContain('twk_');
  });

  it('refuses names with ESC, OSC, CR, C1 or bidi characters and over 200 characters: exit 2, one line, nothing written', async () => {
    const count = async () => (await cliJson<{ applications: unknown[] }>(['app', 'list'], env)).applications.length;
    const before = await count();
    for (const name of ['\u001b]0;pwned\u0007', 'Good\rEvil', '\u001b[2J', 'x'.repeat(100_000), 'Bot\u202etxt.exe', 'Bot\u009b2J', 'x'.repeat(201)]) {
      for (const json of [[], ['--json']]) {
        const result = await runCli(['app', 'create', '--name', name, ...json], env);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        const expected = /Invalid application name: 1 to 200 characters, [^\n]*/;
        if (json.length === 0) expect(result.stderr).toMatch(new RegExp(`^twake-app-auth: ${expected.source} \\(see twake-app-auth --help\\)\\n$`));
        else expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'usage', message: expect.stringMatching(expected), causes: [] } });
        expect(result.stderr).not.toMatch(RAW_UNSAFE);
        expect(result.stderr).not.toMatch(/pwned|Evil|x{10}|txt/);
      }
    }
    expect(await count()).toBe(before);
  });

  it('refuses company ids with bidi or invisible characters and over 128 characters: exit 2, one line, nothing installed', async () => {
    const { publicId } = await cliJson<{ publicId: string }>(['app', 'create', '--name', 'Company checks'], env);
    for (const company of ['acme\u202e', '\u2066acme\u2069', '\u200eacme', '\u200facme', '\u061cacme', 'ac\u200bme', 'acme\u001b[2J', 'c'.repeat(129)]) {
      const result = await runCli(['app', 'install', publicId, '--company', company], env);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^twake-app-auth: Invalid company id: 1 to 128 characters, [^\n]*\n$/);
      expect(result.stderr).not.toMatch(RAW_UNSAFE);
      expect(result.stderr).not.toMatch(/acme|c{10}/);
    }
    const listed = await cliJson<{ applications: Array<{ publicId: string; companies: string[] }> }>(['app', 'list'], env);
    expect(listed.applications.find((application) => application.publicId === publicId)?.companies).toEqual([]);
  });

  it('escapes names and company ids written straight into the database, in app list (text and --json) and uninstall', async () => {
    const { publicId } = await cliJson<{ publicId: string }>(['app', 'create', '--name', 'Legacy'], env);
    const name = 'Evil\u001b]0;pwned\u0007\r\u001b[2J\u202eName\u0085\u009b';
    const company = 'co\u202eabc\u2066\u2028';
    await sql(env.DATABASE_URL as string, 'UPDATE applications SET name = $1 WHERE public_id = $2', [name, publicId]);
    await sql(env.DATABASE_URL as string, 'INSERT INTO installations (application_id, company_id) SELECT id, $1 FROM applications WHERE public_id = $2', [company, publicId]);

    const text = await runCli(['app', 'list'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(RAW_UNSAFE);
    expect(text.stdout).toContain('\nEvil\\u001b]0;pwned\\u0007\\u000d\\u001b[2J\\u202eName\\u0085\\u009b\n');
    expect(text.stdout).toContain('co\\u202eabc\\u2066\\u2028');

    // JSON.stringify leaves C1, bidi and U+2028 raw: they come out as \u escapes, which parse back to the stored value.
    const json = await runCli(['app', 'list', '--json'], env);
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(RAW_UNSAFE);
    const entry = (JSON.parse(json.stdout) as { applications: Array<{ publicId: string }> }).applications.find((application) => application.publicId === publicId);
    expect(entry).toMatchObject({ name, companies: [company] });

    // Such a row can still be removed (uninstall takes any company id), and the confirmation is escaped too.
    const removed = await runCli(['app', 'uninstall', publicId, '--company', company], env);
    expect(removed).toEqual({ code: 0, stdout: `Uninstalled ${publicId} from company co\\u202eabc\\u2066\\u2028.\n`, stderr: '' });
  });

  it('fails with one line on stderr and nothing on stdout for an unknown application', async () => {
    for (const args of [['app', 'install', 'nope', '--company', 'c'], ['app', 'rotate-key', 'nope'], ['app', 'disable', 'nope'], ['app', 'uninstall', 'nope', '--company', 'c']]) {
      const result = await runCli(args, env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('twake-app-auth: No application with public id "nope"\n');
      // With --json the error is JSON too, on stderr, with the same exit code.
      const json = await runCli([...args, '--json'], env);
      expect([json.code, json.stdout]).toEqual([1, '']);
      expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'application_not_found', message: 'No application with public id "nope"', causes: [] } });
    }
  });
});

describe('twake-app-auth CLI without a database', () => {
  it.each([
    ['PostgreSQL refusing connections', 'postgresql://postgres:secret@127.0.0.1:1/none'],
    ['PostgreSQL refusing connections, password in the query', 'postgresql://postgres@127.0.0.1:1/none?password=secret&sslpassword=secret'],
    ['an SQLite file that cannot be created', 'file:/etc/hostname/twake.db'],
  ])('fails with one line on stderr for %s, without the password', async (_name, url) => {
    const result = await runCli(['app', 'list'], { DATABASE_URL: url });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^twake-app-auth: /);
    expect(result.stderr).not.toContain('secret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = await runCli(['app', 'list', '--json'], { DATABASE_URL: url });
    expect([json.code, json.stdout, json.stderr.trim().split('\n').length]).toEqual([1, '', 1]);
    expect(JSON.parse(json.stderr).error.message).toEqual(expect.any(String));
    expect(json.stderr).not.toContain('secret');
  });
});

describe('twake-app-auth schema --sql', () => {
  it.each(['sqlite', 'postgresql'] as const)('prints every migration of %s, applied as it is to an empty database by the user-project test', async (provider) => {
    const run = await runCli(['schema', '--sql', '--provider', provider], {});
    expect(run.code).toBe(0);
    expect(run.stdout.match(/CREATE TABLE "\w+"/g)).toEqual(['CREATE TABLE "applications"', 'CREATE TABLE "application_keys"', 'CREATE TABLE "installations"', 'CREATE TABLE "signing_keys"']);
    expect(run.stdout.includes('CREATE TRIGGER')).toBe(provider === 'postgresql');
  });

  it('prints only the change triggers with --triggers', async () => {
    const run = await runCli(['schema', '--sql', '--provider', 'postgresql', '--triggers'], {});
    expect(run.stdout).not.toMatch(/CREATE TABLE/);
    expect(run.stdout.match(/CREATE TRIGGER "\w+"/g)).toHaveLength(4);
  });

  it.each([[['schema']], [['schema', '--sql']], [['schema', '--sql', '--provider', 'mysql']], [['schema', '--sql', '--provider', 'sqlite', '--triggers']]])(
    'refuses %j with one line and exit 2',
    async (args) => {
      const run = await runCli(args, {});
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    },
  );
});
