// Regressions for two start-up defaults: the SQLite file readable by any local user (0644 in a 0755 folder),
// and TRUST_PROXY values that trust (nearly) any peer, so that plain HTTP could claim HTTPS.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readServerConfig } from '../../server/src/server/server-config';
import { runCli, startServer } from '../helpers/processes';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('the default SQLite database', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twake-app-auth-modes-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('is created 0600 (with its -wal and -shm) in a 0700 folder, from the CLI and the server', async () => {
    const data = join(folder, 'data');
    const env = { DATABASE_URL: `file:${join(data, 'twake-app-auth.db')}` };
    expect((await runCli(['app', 'create', '--name', 'Modes', '--json'], env)).code).toBe(0);
    const server = await startServer({ ...env, NODE_ENV: 'development' });
    try {
      expect(modeOf(data)).toBe(0o700);
      for (const file of ['twake-app-auth.db', 'twake-app-auth.db-wal', 'twake-app-auth.db-shm']) expect([file, modeOf(join(data, file))]).toEqual([file, 0o600]);
    } finally {
      await server.stop();
    }
  });

  it('uses the default path, ./data/twake-app-auth.db, with the same modes', async () => {
    const cwd = mkdtempSync(join(folder, 'cwd-'));
    expect((await runCli(['migrate', '--json'], {}, cwd)).code).toBe(0);
    expect(modeOf(join(cwd, 'data'))).toBe(0o700);
    expect(modeOf(join(cwd, 'data', 'twake-app-auth.db'))).toBe(0o600);
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    'true',
    '0.0.0.0/0',
    '0.0.0.0/1,128.0.0.0/1,::/1,8000::/1',
    '0.0.0.0/1,128.0.0.0/1',
    '::/0',
    '2000::/3',
    '::ffff:0:0/96',
    '0.0.0.0/128.0.0.0',
    Array.from({ length: 8 }, (_, i) => `${i + 1}.0.0.0/8`).join(','),
  ])('refuses %s, which trusts (nearly) any peer', (value) => {
    expect(() => readServerConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY.*(every peer|of IPv[46]).*Name the proxy/);
  });

  it.each(['loopback', 'loopback,linklocal,uniquelocal', '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7', '10.0.0.1', '10.0.0.0/255.0.0.0', '2001:db8::/32', '1', '2'])(
    'accepts %s',
    (value) => {
      expect(readServerConfig({ TRUST_PROXY: value }).trustProxy).toBe(/^\d+$/.test(value) ? Number(value) : value);
    },
  );

  it('refuses an entry that is neither a name, an address nor a range, saying which', () => {
    expect(() => readServerConfig({ TRUST_PROXY: 'loopback,proxy.internal' })).toThrow(/"proxy\.internal" is not loopback/);
  });

  it('warns at start-up on a hop count while listening on every address, and not on loopback', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'twake-app-auth-hops-'));
    const env = { DATABASE_URL: `file:${join(folder, 'db.sqlite')}`, TRUST_PROXY: '1' };
    try {
      for (const [host, warned] of [['0.0.0.0', true], ['127.0.0.1', false]] as const) {
        const server = await startServer({ ...env, HOST: host });
        await server.stop();
        expect([host, server.logs.some((line) => line.includes('"level":40') && line.includes('TRUST_PROXY=1 trusts that many hops'))]).toEqual([host, warned]);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
