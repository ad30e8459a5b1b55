// The server process as a supervisor sees it: a start that fails ends the process at once, and a stop
// waits for in-flight requests only.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import type { Provider } from '../../server/src/database/database-url';
import { basic } from '../helpers/create-server';
import { testProviders } from '../helpers/databases';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

const CLI = join(__dirname, '..', '..', 'server', 'dist', 'cli', 'main.js');

/** Runs the CLI until it exits, or SIGKILLs it after `limitMs`: its exit code, stderr and duration. */
async function runUntilExit(args: string[], env: NodeJS.ProcessEnv, limitMs: number, nodeArgs: string[] = []) {
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { env: { PATH: process.env.PATH, HOST: '127.0.0.1', WORKERS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(killer);
  return { code, signal, stderr, ms: Date.now() - started };
}

describe.each(testProviders())('serve on %s: start-up failures end the process', (provider: Provider) => {
  let fixture: ServerWithApp;

  beforeAll(async () => {
    fixture = await startServerWithApp(provider, { name: 'Lifecycle test' });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('exits 1 with one line when the port is taken, instead of staying alive', async () => {
    const result = await runUntilExit(['serve'], { ...fixture.env, PORT: String(fixture.server.port), NODE_ENV: 'development' }, 10_000);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^twake-app-auth: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/)]);
    // Start-up work (migration check, database, keys) comes first, about 0.7 s here; then it ends at once.
    expect(result.ms).toBeLessThan(3000);
  });

  it('exits 1 when the address is not this machine’s (EADDRNOTAVAIL)', async () => {
    const result = await runUntilExit(['serve'], { ...fixture.env, HOST: '192.0.2.1', PORT: '0', NODE_ENV: 'development' }, 10_000);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.stderr).toMatch(/^twake-app-auth: cannot listen on 192\.0\.2\.1:0: EADDRNOTAVAIL\n$/);
  });
});

describe('serve: stopping', () => {
  let fixture: ServerWithApp;

  beforeAll(async () => {
    fixture = await startServerWithApp('sqlite', { name: 'Stop test' });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('on SIGTERM: finishes the in-flight request, drops idle keep-alive connections at once, exits 0 right after', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const auth = basic(fixture.app.publicId, fixture.app.privateKey);
    // An idle keep-alive connection: one request answered, the socket kept open by the agent.
    const idle = await new Promise<number>((resolve, reject) =>
      http.get(`${fixture.server.url}/api/v1/auth/test?group_id=acme`, { agent, headers: { Authorization: auth } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject),
    );
    expect(idle).toBe(200);
    // An in-flight request: its body arrives 1.5 s after the stop.
    const body = JSON.stringify({ group_id: 'acme' });
    const inFlight = http.request(`${fixture.server.url}/api/v1/auth/test`, { method: 'POST', agent, headers: { Authorization: auth, 'Content-Type': 'application/json', 'Content-Length': String(body.length) } });
    const answered = new Promise<number>((resolve, reject) => {
      inFlight.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      inFlight.on('error', reject);
    });
    inFlight.write(body.slice(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = Date.now();
    const exited = fixture.server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    inFlight.end(body.slice(5));
    expect(await answered).toBe(200);
    const answeredAt = Date.now() - stopped;
    expect(await exited).toBe(0);
    const exitedAt = Date.now() - stopped;
    expect(exitedAt - answeredAt).toBeLessThan(1000);
    expect(fixture.server.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    agent.destroy();
  });

  it('bounds the stop with SHUTDOWN_TIMEOUT_MS: a request that never finishes does not hold it', async () => {
    const slow = await startServerWithApp('sqlite', { name: 'Slow stop', serverEnv: { SHUTDOWN_TIMEOUT_MS: '500', BODY_TIMEOUT_MS: '60000' } });
    try {
      const hanging = http.request(`${slow.server.url}/api/v1/auth/test`, { method: 'POST', headers: { Authorization: basic(slow.app.publicId, slow.app.privateKey), 'Content-Type': 'application/json', 'Content-Length': '100' } });
      hanging.on('error', () => undefined);
      hanging.write('{');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = Date.now();
      expect(await slow.server.stop()).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(2500);
    } finally {
      await slow.stop();
    }
  });

  it('exits on SIGTERM when its standard output has gone (a log reader that stopped reading)', async () => {
    const orphan = await startServerWithApp('sqlite', { name: 'Closed output' });
    try {
      orphan.server.child.stdout?.destroy();
      // A request line to write into the closed pipe.
      const status = await new Promise<number>((resolve, reject) =>
        http.get(`${orphan.server.url}/api/v1/auth/test?group_id=acme`, { headers: { Authorization: basic(orphan.app.publicId, orphan.app.privateKey) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject),
      );
      expect(status).toBe(200);
      const stopped = Date.now();
      const code = await Promise.race([orphan.server.stop(), new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 6000))]);
      expect(code).not.toBe('still running');
      expect(Date.now() - stopped).toBeLessThan(5000);
    } finally {
      orphan.server.child.kill('SIGKILL');
      await orphan.stop();
    }
  });
});

describe('the CLI without DATABASE_URL on an install without the SQLite packages', () => {
  it('says that DATABASE_URL is not set, what the default needs, and how to use PostgreSQL instead', async () => {
    const result = await runUntilExit(['app', 'list'], { DATABASE_URL: '' }, 10_000, ['--require', join(__dirname, '..', 'fixtures', 'without-sqlite.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^twake-app-auth: DATABASE_URL is not set, so the default SQLite database \(file:\.\/data\/twake-app-auth\.db\) needs "@prisma\/adapter-better-sqlite3", "better-sqlite3", not installed here: npm install @prisma\/adapter-better-sqlite3 better-sqlite3; or set DATABASE_URL=postgresql:\/\/\.\.\. to use PostgreSQL\n$/);
  });
});
