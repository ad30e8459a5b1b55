// The real server process (`twake-app-auth serve`), on SQLite and PostgreSQL, driven over real sockets.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import https from 'node:https';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';
import { makeSelfSignedCertificate, type SelfSigned } from '../helpers/self-signed';
import { proxyInFront } from '../helpers/tcp-proxy';
import { committedAt } from '../helpers/committed';
import { basic } from '../helpers/create-server';
import { timeUntil } from '../helpers/eventually';
import { digestKey, type ApplicationRecord } from '../../src';


async function call(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
}

function httpsGet(url: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}


describe.each(testProviders())('twake-app-auth serve on %s', (provider) => {
  /** Bound stated in the README for a CLI change to reach a running server (default cache settings). */
  const PROPAGATION_BOUND_MS = provider === 'postgresql' ? 1000 : 2000;
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  let dev: ServerProcess;
  let app: { publicId: string; privateKey: string };
  const printedKeys: string[] = [];
  const cliOutputs: string[] = [];

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl(provider);
    env = { DATABASE_URL: database.url };
    drop = database.drop;
    dev = await startServer({ ...env, NODE_ENV: 'development' });
    app = await cliJson(['app', 'create', '--name', 'Server test'], env);
    printedKeys.push(app.privateKey);
    await cliJson(['app', 'install', app.publicId, '--company', 'acme'], env);
  });

  afterAll(async () => {
    if (dev !== undefined) await dev.stop();
    await drop();
  });

  const auth = () => ({ Authorization: basic(app.publicId, app.privateKey) });

  it('logs one start line with address, database (no password) and mode', () => {
    const start = dev.logs.find((line) => line.includes('listening on'));
    expect(start).toBeDefined();
    const parsed = JSON.parse(start as string);
    expect(parsed.mode).toBe('development');
    expect(parsed.database).toBe(provider === 'sqlite' ? env.DATABASE_URL : new URL(env.DATABASE_URL as string).toString());
    expect(parsed.msg).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+, database .+, development mode$/);
  });

  it('GET /healthz and /readyz answer 200 without credentials', async () => {
    expect(await call(dev.url, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(dev.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('GET and POST /api/v1/auth/test: 200 who-am-I, 401 wrong key, 403 other company', async () => {
    const ok = await call(dev.url, '/api/v1/auth/test?group_id=acme', { headers: auth() });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, application: { id: expect.any(String), publicId: app.publicId, name: 'Server test' }, company: { id: 'acme' } });
    const posted = await call(dev.url, '/api/v1/auth/test', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ group_id: 'acme' }),
    });
    expect(posted.status).toBe(200);
    const wrong = await call(dev.url, '/api/v1/auth/test?group_id=acme', { headers: { Authorization: basic(app.publicId, 'twk_wrong') } });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'invalid_credentials' } });
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="Twake applications", charset="UTF-8"');
    expect(await call(dev.url, '/api/v1/auth/test?group_id=globex', { headers: auth() })).toMatchObject({ status: 403, body: { code: 'not_installed' } });
  });

  it('/auth/verify: 204 with identity headers, company from the header or the forwarded URI', async () => {
    const variants: Array<Record<string, string>> = [{ 'X-Twake-Group-Id': 'acme', 'X-Original-URI': '/x' }, { 'X-Forwarded-Uri': '/api/messages?group_id=acme' }, { 'X-Original-URI': '/x?a=1&group_id=acme' }];
    for (const headers of variants) {
      const response = await call(dev.url, '/auth/verify', { headers: { ...auth(), ...headers } });
      expect(response.status).toBe(204);
      expect(response.headers.get('x-twake-public-id')).toBe(app.publicId);
      expect(response.headers.get('x-twake-company-id')).toBe('acme');
      expect(response.headers.get('x-twake-application-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('/auth/verify: company ids above U+00FF answer percent-encoded headers, and the process survives (tenancy observation 9)', async () => {
    for (const company of ['компания', '東京', 'emoji-\u{1F600}']) {
      await cliJson(['app', 'install', app.publicId, '--company', company], env);
      const sources: Array<Record<string, string>> = [{ 'X-Twake-Group-Id': Buffer.from(company).toString('latin1'), 'X-Original-URI': '/x' }, { 'X-Original-URI': `/x?group_id=${encodeURIComponent(company)}` }];
      for (const headers of sources) {
        const response = await call(dev.url, '/auth/verify', { headers: { ...auth(), ...headers } });
        expect(response.status).toBe(204);
        expect(response.headers.get('x-twake-company-id')).toBe(encodeURIComponent(company));
      }
      const ownQuery = await call(dev.url, `/auth/verify/api/v1/x?group_id=${encodeURIComponent(company)}`, { headers: auth() });
      expect(ownQuery.status).toBe(204);
    }
    expect(dev.child.exitCode).toBeNull();
    expect((await call(dev.url, '/healthz')).status).toBe(200);
  });

  it('/auth/verify: any method and any path under it', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await call(dev.url, '/auth/verify/some/deep/path', { method, headers: { ...auth(), 'X-Twake-Group-Id': 'acme' } })).status).toBe(204);
    }
  });

  it('/auth/verify: the validator’s refusals', async () => {
    const uri = { 'X-Original-URI': '/x' };
    expect(await call(dev.url, '/auth/verify', { headers: { ...uri, 'X-Twake-Group-Id': 'acme' } })).toMatchObject({ status: 401, body: { code: 'missing_credentials' } });
    expect(await call(dev.url, '/auth/verify', { headers: { ...uri, ...auth() } })).toMatchObject({ status: 400, body: { code: 'missing_group_id' } });
    expect(await call(dev.url, '/auth/verify', { headers: { ...uri, ...auth(), 'X-Twake-Group-Id': 'globex' } })).toMatchObject({ status: 403, body: { code: 'not_installed' } });
    // No original URI at all: neither the route table nor the assertion could apply.
    expect(await call(dev.url, '/auth/verify', { headers: { ...auth(), 'X-Twake-Group-Id': 'acme' } })).toMatchObject({ status: 400, body: { code: 'missing_original_uri' } });
    const disagreeing = { ...auth(), 'X-Twake-Group-Id': 'acme', 'X-Forwarded-Uri': '/x?group_id=globex' };
    expect(await call(dev.url, '/auth/verify', { headers: disagreeing })).toMatchObject({ status: 400, body: { code: 'invalid_group_id' } });
    expect(await call(dev.url, '/auth/verify', { headers: { ...auth(), 'X-Forwarded-Uri': '/x?group_id=a&group_id=b' } })).toMatchObject({
      status: 400,
      body: { code: 'invalid_group_id' },
    });
  });

  it('/auth/verify: with X-Twake-Status-Mapping: auth-request, a 400 becomes a 403 carrying the real status (nginx)', async () => {
    const mapped = await call(dev.url, '/auth/verify', { headers: { ...auth(), 'X-Original-URI': '/x', 'X-Twake-Status-Mapping': 'auth-request' } });
    // The problem in a header, no body: nginx keeps its connection (docs/deploy.md).
    expect(mapped).toMatchObject({ status: 403, body: null });
    expect(JSON.parse(mapped.headers.get('x-twake-problem') ?? '{}')).toMatchObject({ status: 400, code: 'missing_group_id' });
    expect(mapped.headers.get('x-twake-status')).toBe('400');
    expect(mapped.headers.get('x-twake-error')).toBe('missing_group_id');
    const unauthorised = await call(dev.url, '/auth/verify', { headers: { 'X-Original-URI': '/x', 'X-Twake-Status-Mapping': 'auth-request' } });
    expect(unauthorised.status).toBe(401);
  });

  it('logs the client address, the route, the original path, and both statuses when nginx maps one', async () => {
    await call(dev.url, '/auth/verify', { headers: { ...auth(), 'X-Original-URI': '/api/v1/notes/logged?secret=1', 'X-Twake-Status-Mapping': 'auth-request' } });
    await timeUntil(async () => dev.logs.some((line) => line.includes('/api/v1/notes/logged')), 2000);
    const line = dev.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.originalPath === '/api/v1/notes/logged');
    expect(line).toMatchObject({ msg: 'request', route: '/auth/verify', clientAddress: '127.0.0.1', status: 403, decidedStatus: 400, code: 'missing_group_id' });
    expect(JSON.stringify(line)).not.toContain('secret=1');
  });

  it(`CLI changes reach the running server within ${PROPAGATION_BOUND_MS} ms (install, uninstall, rotate, disable)`, async () => {
    const status = async (key: string, company: string) =>
      (await call(dev.url, `/api/v1/auth/test?group_id=${company}`, { headers: { Authorization: basic(app.publicId, key) } })).status;
    // Warm any cache with the answers about to change.
    expect(await status(app.privateKey, 'initech')).toBe(403);

    // Each bound is measured from the moment the change is visible in the database (its commit).
    const committed = (company: string, holds: (record: ApplicationRecord | null) => boolean, change: () => Promise<unknown>) =>
      committedAt(env.DATABASE_URL as string, app.publicId, company, holds, change);
    let since = await committed('initech', (record) => record?.installed === true, () => cliJson(['app', 'install', app.publicId, '--company', 'initech'], env));
    await timeUntil(async () => (await status(app.privateKey, 'initech')) === 200, PROPAGATION_BOUND_MS, since);

    since = await committed('initech', (record) => record?.installed === false, () => cliJson(['app', 'uninstall', app.publicId, '--company', 'initech'], env));
    await timeUntil(async () => (await status(app.privateKey, 'initech')) === 403, PROPAGATION_BOUND_MS, since);

    let rotated = { privateKey: '' };
    const current = digestKey(app.privateKey);
    since = await committed(
      'acme',
      (record) => record?.keys.some((key) => key.digest.equals(current) && key.expiresAt !== null) === true,
      async () => (rotated = await cliJson<{ privateKey: string }>(['app', 'rotate-key', app.publicId], env)),
    );
    printedKeys.push(rotated.privateKey);
    await timeUntil(async () => (await status(app.privateKey, 'acme')) === 401, PROPAGATION_BOUND_MS, since);
    expect(await status(rotated.privateKey, 'acme')).toBe(200);
    const previous = app.privateKey;
    app = { ...app, privateKey: rotated.privateKey };
    expect(await status(previous, 'acme')).toBe(401);

    since = await committed('acme', (record) => record?.enabled === false, () => cliJson(['app', 'disable', app.publicId], env));
    await timeUntil(async () => (await status(app.privateKey, 'acme')) === 401, PROPAGATION_BOUND_MS, since);
    since = await committed('acme', (record) => record?.enabled === true, () => cliJson(['app', 'enable', app.publicId], env));
    await timeUntil(async () => (await status(app.privateKey, 'acme')) === 200, PROPAGATION_BOUND_MS, since);
  });

  it('never writes a key to a log line or to CLI output other than create and rotate-key', async () => {
    for (const args of [['app', 'list'], ['app', 'list', '--json'], ['app', 'install', app.publicId, '--company', 'acme'], ['migrate']]) {
      const result = await runCli(args, env);
      cliOutputs.push(result.stdout + result.stderr);
    }
    await call(dev.url, '/api/v1/auth/test?group_id=acme', { headers: { Authorization: basic(app.publicId, `${app.privateKey}x`) } });
    await call(dev.url, '/auth/verify', { headers: { ...auth(), 'X-Twake-Group-Id': 'acme', 'X-Original-URI': '/x' } });
    // Request lines are written in batches, at least every 200 ms.
    await timeUntil(async () => dev.logs.some((line) => line.includes('"code":"invalid_credentials"')), 2000);
    expect(dev.logs.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(10);
    for (const key of printedKeys) {
      for (const text of [...dev.logs, ...cliOutputs]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain(key.slice(4));
      }
    }
    // The request log names the application and the reason, one JSON object per line.
    const refused = dev.logs.map((line) => JSON.parse(line)).find((line) => line.code === 'invalid_credentials');
    expect(refused).toMatchObject({ status: 401, path: '/api/v1/auth/test', latencyMs: expect.any(Number) });
  });

  describe('production mode', () => {
    let certificate: SelfSigned;

    beforeAll(() => {
      certificate = makeSelfSignedCertificate();
    });

    it('refuses plain HTTP with 403, even with X-Forwarded-Proto from an untrusted peer (TRUST_PROXY unset)', async () => {
      const server = await startServer({ ...env });
      try {
        expect((await call(server.url, '/healthz')).status).toBe(200);
        const plain = await call(server.url, '/api/v1/auth/test?group_id=acme', { headers: auth() });
        expect(plain).toMatchObject({ status: 403, body: { code: 'https_required' } });
        const spoofed = await call(server.url, '/auth/verify', { headers: { ...auth(), 'X-Twake-Group-Id': 'acme', 'X-Original-URI': '/x', 'X-Forwarded-Proto': 'https' } });
        expect(spoofed).toMatchObject({ status: 403, body: { code: 'https_required' } });
      } finally {
        await server.stop();
      }
    });

    it('believes X-Forwarded-Proto from a trusted proxy (TRUST_PROXY=loopback)', async () => {
      const server = await startServer({ ...env, TRUST_PROXY: 'loopback' });
      try {
        const headers = { ...auth(), 'X-Twake-Group-Id': 'acme', 'X-Original-URI': '/x' };
        expect((await call(server.url, '/auth/verify', { headers: { ...headers, 'X-Forwarded-Proto': 'https' } })).status).toBe(204);
        expect((await call(server.url, '/auth/verify', { headers })).status).toBe(403);
      } finally {
        await server.stop();
      }
    });

    it('serves HTTPS itself with TLS_CERT_FILE and TLS_KEY_FILE', async () => {
      const server = await startServer({ ...env, TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile });
      try {
        expect(server.url).toMatch(/^https:/);
        const response = await httpsGet(`${server.url}/api/v1/auth/test?group_id=acme`, certificate.cert, auth());
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body)).toMatchObject({ ok: true, company: { id: 'acme' } });
      } finally {
        await server.stop();
      }
    });
  });

  it('stops gracefully on SIGTERM: exit code 0 after the last line', async () => {
    const server = await startServer({ ...env, NODE_ENV: 'development' });
    expect((await call(server.url, '/healthz')).status).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });

  if (provider === 'postgresql') {
    it('GET /readyz answers 503 while PostgreSQL is unreachable, 200 once it is back', async () => {
      const { proxy, url } = await proxyInFront(env.DATABASE_URL as string);
      const server = await startServer({ DATABASE_URL: url, NODE_ENV: 'development' });
      try {
        expect((await call(server.url, '/readyz')).status).toBe(200);
        proxy.cut();
        expect(await call(server.url, '/readyz')).toMatchObject({ status: 503 });
        expect((await call(server.url, '/healthz')).status).toBe(200);
        const during = await call(server.url, '/api/v1/auth/test?group_id=acme', { headers: auth() });
        expect(during).toMatchObject({ status: 503, body: { code: 'store_unavailable' } });
        const mapped = await call(server.url, '/auth/verify', { headers: { ...auth(), 'X-Twake-Group-Id': 'acme', 'X-Original-URI': '/x', 'X-Twake-Status-Mapping': 'auth-request' } });
        expect(mapped.status).toBe(403);
        expect(JSON.parse(mapped.headers.get('x-twake-problem') ?? '{}')).toMatchObject({ status: 503, code: 'store_unavailable' });
        expect(mapped.headers.get('x-twake-status')).toBe('503');
        proxy.restore();
        await timeUntil(async () => (await call(server.url, '/readyz')).status === 200, 5000);
      } finally {
        await server.stop();
        await proxy.close();
      }
    });
  }
});
