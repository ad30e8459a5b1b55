// A real nginx with the configuration docs/deploy.md prints, in front of the real server and a backend.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { listenOnFreePort, type Listening } from '../helpers/listen';
import { trustForwardedIdentity, twakeAuthErrorHandler } from '../../src';
import { basic } from '../helpers/create-server';
import { createEmptyDatabaseUrl } from '../helpers/databases';
import { signWithStoredKey, storedSigningKeys } from '../helpers/signing-keys';
import { cliJson, runCli, startServer, type ServerProcess } from '../helpers/processes';
import type { SelfSigned } from '../helpers/self-signed';
import { describeWithNginx, documentedNginxBlock, documentedTokenRoutes, sendTls as send, startNginx, upstreamConnections, type Answer, type RunningNginx } from '../helpers/nginx';

describeWithNginx('nginx auth_request with the documented configuration', () => {
  let tls: SelfSigned;
  let proxy: RunningNginx | undefined;
  let validator: ServerProcess;
  let backend: Listening | undefined;
  let nginxPort: number;
  let drop: () => Promise<void>;
  let app: { publicId: string; privateKey: string };
  let auth: string;
  let env: NodeJS.ProcessEnv;

  const get = (path: string, headers: Record<string, string> = {}) => send(nginxPort, tls.cert, 'GET', path, { Authorization: auth, ...headers });
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    send(nginxPort, tls.cert, 'POST', path, { Authorization: auth, 'Content-Type': 'application/json', ...headers }, JSON.stringify(body));

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl('sqlite');
    drop = database.drop;
    env = { DATABASE_URL: database.url };
    validator = await startServer({ ...env, NODE_ENV: 'production', TRUST_PROXY: 'loopback', AUTH_FAILURE_LIMIT: '5', SIGNING_KEYS_REFRESH_SECONDS: '1', JWT_SECRET: 'a-jwt-secret-shared-with-twake-of-32-bytes-or-more' });
    app = await cliJson(['app', 'create', '--name', 'Nginx test'], env);
    await cliJson(['app', 'install', app.publicId, '--company', 'alpha'], env);
    await cliJson(['app', 'install', app.publicId, '--company', 'компания'], env);
    auth = basic(app.publicId, app.privateKey);

    // The backend: what it received (raw), and the helper docs/deploy.md tells Node backends to mount.
    const site = express();
    site.all('/api/v1/raw/*path', express.json(), (req, res) => {
      const twake = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-twake-') || name === 'x-forwarded-for'));
      res.json({ headers: twake, body: req.body as unknown });
    });
    site.all('/api/:service/:version/companies/*path', (req, res) => {
      const twake = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-twake-')));
      res.json({ headers: twake });
    });
    site.use('/api/v1/checked', trustForwardedIdentity({ jwksUrl: `${validator.url}/.well-known/jwks.json`, issuer: 'twake-app-auth', audience: 'twake-backend', jwksCacheSeconds: 1 }));
    site.all('/api/v1/checked/*path', (req, res) => {
      res.json({ twake: req.twake });
    });
    site.use(twakeAuthErrorHandler());
    backend = await listenOnFreePort(site);
    const backendPort = backend.port;

    const documented = documentedNginxBlock(validator.port);
    // Company paths take the same directives as /api/v1/ (docs/deploy.md, "Bearer tokens on company paths").
    const apiV1 = /location \/api\/v1\/ \{[\s\S]*?\n\}/.exec(documented.locations)?.[0] ?? '';
    const companies = apiV1.replace('location /api/v1/ {', 'location ~ ^/api/[^/]+/[^/]+/companies/ {');
    // Not from docs/deploy.md: the ordinary location most sites add for the rest (a web UI), to the same
    // backend, with no auth_request and no header clearing.
    const rest = 'location / {\n  proxy_pass http://backend;\n}';
    proxy = await startNginx(`${documented.locations}\n${companies}\n${documentedTokenRoutes()}\n${rest}`, backendPort, documented.upstreams);
    nginxPort = proxy.port;
    tls = proxy.tls;
  });

  afterAll(async () => {
    proxy?.stop();
    await validator?.stop();
    await backend?.close();
    await drop?.();
  });

  it('Twake\'s current API: the login through nginx, then Bearer on a company path with the checked identity', async () => {
    const bearerApp = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Bearer app', '--capabilities', 'write:messages'], env);
    await cliJson(['app', 'install', bearerApp.publicId, '--company', 'alpha'], env);
    const login = await send(nginxPort, tls.cert, 'POST', '/api/console/v1/login', { 'Content-Type': 'application/json' }, JSON.stringify({ id: bearerApp.publicId, secret: bearerApp.privateKey }));
    expect(login.status).toBe(200);
    const token = (JSON.parse(login.body) as { resource: { access_token: { value: string } } }).resource.access_token.value;
    const post = (path: string, value = token) => send(nginxPort, tls.cert, 'POST', path, { Authorization: `Bearer ${value}`, 'Content-Type': 'application/json', 'X-Twake-Company-Id': 'forged' }, '{}');
    const passed = await post('/api/messages/v1/companies/alpha/threads');
    expect(passed.status).toBe(200);
    const { headers } = JSON.parse(passed.body) as { headers: Record<string, string> };
    expect(headers).toMatchObject({ 'x-twake-company-id': 'alpha', 'x-twake-public-id': bearerApp.publicId });
    const claims = JSON.parse(Buffer.from(String(headers['x-twake-assertion']).split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ method: 'POST', path: '/api/messages/v1/companies/alpha/threads', company_id: 'alpha' });
    expect((await post('/api/messages/v1/companies/beta/threads')).status).toBe(403);
    expect((await post('/api/messages/v1/companies/alpha/threads', `${token}x`)).status).toBe(401);
    // Reading needs read:messages, which this application does not hold.
    expect((await send(nginxPort, tls.cert, 'GET', '/api/messages/v1/companies/alpha/threads', { Authorization: `Bearer ${token}` })).status).toBe(403);
  });

  it('passes the checked identity and overwrites every client-sent X-Twake-* header (observation 3)', async () => {
    const answer = await get('/api/v1/raw/x?group_id=alpha', {
      'X-Twake-Public-Id': 'forged-public-id',
      'X-Twake-Company-Id': 'beta',
      'X-Twake-Application-Id': 'forged',
      'X-Twake-Key-Id': 'forged',
      'X-Twake-Application-Name': 'forged',
      'X-Twake-Group-Id': 'alpha',
      'X-Forwarded-For': '203.0.113.9',
    });
    expect(answer.status).toBe(200);
    const { headers } = JSON.parse(answer.body) as { headers: Record<string, string> };
    expect(headers['x-twake-public-id']).toBe(app.publicId);
    expect(headers['x-twake-company-id']).toBe('alpha');
    expect(headers['x-twake-application-id']).not.toBe('forged');
    expect(headers['x-twake-key-id']).not.toBe('forged');
    expect(headers['x-twake-application-name']).toBe('Nginx%20test');
    expect(headers['x-twake-group-id']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    // The assertion nginx forwarded is the validator's, for GET and this very path.
    const claims = JSON.parse(Buffer.from(String(headers['x-twake-assertion']).split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ method: 'GET', path: '/api/v1/raw/x', company_id: 'alpha', public_id: app.publicId });
  });

  it('400 from the backend helper: a JSON body naming another company than the checked one (observation 1)', async () => {
    for (const headers of [{}, { 'X-Twake-Group-Id': 'alpha' }] as Array<Record<string, string>>) {
      const answer = await postJson('/api/v1/checked/x?group_id=alpha', { group_id: 'beta' }, headers);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid_group_id' });
    }
    const agreeing = await postJson('/api/v1/checked/x?group_id=alpha', { group_id: 'alpha' });
    expect(answer(agreeing)).toEqual({ status: 200, company: 'alpha' });
  });

  it('the same for a JSON body sent without Content-Type (read as JSON, as Twake read it): never another company', async () => {
    const untyped = (body: string) => send(nginxPort, tls.cert, 'POST', '/api/v1/checked/x?group_id=alpha', { Authorization: auth, 'Content-Length': String(Buffer.byteLength(body)) }, body);
    const other = await untyped('{"group_id":"beta"}');
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body)).toMatchObject({ code: 'invalid_group_id', error: 'you_need_to_provide_a_valid_group_id_field_in_any_api_request' });
    expect(answer(await untyped('{"group_id":"alpha"}'))).toEqual({ status: 200, company: 'alpha' });
    expect(JSON.parse((await untyped('group_id=beta')).body)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('passes the assertion of a long path (2,000 characters) through the auth subrequest', async () => {
    const path = `/api/v1/raw/${'x'.repeat(2000 - '/api/v1/raw/'.length)}`;
    const answered = await get(`${path}?group_id=alpha`);
    expect(answered.status).toBe(200);
    const { headers } = JSON.parse(answered.body) as { headers: Record<string, string> };
    expect(JSON.parse(Buffer.from(String(headers['x-twake-assertion']).split('.')[1] ?? '', 'base64url').toString())).toMatchObject({ path });
  });

  it('a client-sent X-Forwarded-Uri cannot add a company to the check', async () => {
    const answered = await get('/api/v1/checked/x?group_id=alpha', { 'X-Forwarded-Uri': '/api/v1/x?group_id=beta' });
    expect(answer(answered)).toEqual({ status: 200, company: 'alpha' });
  });

  it('200 for a company id above U+00FF, and the validator stays up (observation 9)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const answered = await get(`/api/v1/checked/x?group_id=${encodeURIComponent('компания')}`);
      expect(answer(answered)).toEqual({ status: 200, company: 'компания' });
    }
    expect(validator.child.exitCode).toBeNull();
    expect((await fetch(`${validator.url}/healthz`)).status).toBe(200);
  });

  it('restores 400 and 403 with their codes through the named location', async () => {
    const missing = await get('/api/v1/raw/x');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toEqual({ type: 'urn:twake-app-auth:error:missing_group_id', title: 'group_id is required', status: 400, code: 'missing_group_id', twake_error: 'you_need_to_provide_a_valid_group_id_field_in_any_api_request', error: 'you_need_to_provide_a_valid_group_id_field_in_any_api_request' });
    expect(missing.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(missing.headers['cache-control']).toBe('no-store');
    const elsewhere = await get('/api/v1/raw/x?group_id=beta');
    expect(elsewhere.status).toBe(403);
    expect(JSON.parse(elsewhere.body)).toMatchObject({ status: 403, code: 'not_installed', twake_error: 'you_need_to_provide_a_valid_group_id_field_in_any_api_request', error: 'you_need_to_provide_a_valid_group_id_field_in_any_api_request' });
    // A grant refusal keeps the names it lacks.
    const ungranted = await postJson('/api/v1/messages/save?group_id=alpha', { group_id: 'alpha' });
    expect(ungranted.status).toBe(403);
    expect(JSON.parse(ungranted.body)).toMatchObject({ code: 'missing_capability', twake_error: 'you_do_not_have_this_set_of_required_capabilities', error: 'you_do_not_have_this_set_of_required_capabilities', missing: ['messages_save'] });
  });

  it('405 with Allow: POST for a GET on a route Twake took only by POST, through the named location', async () => {
    const answer = await get('/api/v1/messages/remove?group_id=alpha');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 405, code: 'method_not_allowed', error: 'method_not_allowed' });
    // Control: the POST Twake took, with no capability asked (Messages/Controller/Message.php), goes through.
    const posted = await postJson('/api/v1/messages/remove?group_id=alpha', { group_id: 'alpha' });
    expect(posted.status).not.toBe(405);
    expect(posted.status).not.toBe(403);
  });

  it('401 with the Basic challenge for a wrong key', async () => {
    const wrong = await get('/api/v1/raw/x?group_id=alpha', { Authorization: basic(app.publicId, 'wrong') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="Twake applications", charset="UTF-8"');
    // The problem body, not nginx's page: legacy clients test body.error.
    expect(wrong.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(wrong.body)).toMatchObject({ status: 401, code: 'invalid_credentials', twake_error: 'unknown_application_or_bad_private_key', error: 'unknown_application_or_bad_private_key' });
  });

  describe('another location to the same backend (the bypass an address-only trust allowed)', () => {
    const forged = {
      'X-Twake-Application-Id': 'forged',
      'X-Twake-Public-Id': 'forged',
      'X-Twake-Company-Id': 'victim-company',
      'X-Twake-Key-Id': 'forged',
      'X-Twake-Application-Name': 'forged',
      'X-Twake-Capabilities': 'messages_save',
      'X-Twake-Privileges': 'channels',
    };
    // Spellings nginx matches outside `location /api/v1/` (case, encoded dot segments, …) but Express
    // still routes under /api/v1/checked; and ones nginx normalises into it.
    const spellings = [
      '/API/v1/checked/notes?group_id=victim-company',
      '/Api/V1/Checked/notes?group_id=victim-company',
      '/api/v1/checked/notes/..%2F..%2F..%2Fx?group_id=victim-company',
      '/api/v1/checked/%2e%2e/checked/notes?group_id=victim-company',
      '//api/v1/checked/notes?group_id=victim-company',
      '/api/v1/../api/v1/checked/notes?group_id=victim-company',
      '/x/..%2Fapi/v1/checked/notes?group_id=victim-company',
    ];

    it('403 at the backend for forged identity headers without a key, whatever the spelling', async () => {
      for (const path of spellings) {
        const refused = refusalOf(await send(nginxPort, tls.cert, 'GET', path, forged));
        // nginx's check (401), the backend's (403) or a path the backend does not route (404): never through.
        expect({ path, through: refused.twake !== undefined || refused.status < 400 }).toEqual({ path, through: false });
        expect([401, 403, 404]).toContain(refused.status);
      }
      // These reach the backend through `location /` and are routed under /api/v1/checked: the assertion
      // check, not nginx, refuses them.
      for (const path of spellings.slice(0, 3)) {
        expect({ path, ...refusalOf(await send(nginxPort, tls.cert, 'GET', path, forged)) }).toEqual({ path, status: 403, code: 'untrusted_identity', twake: undefined });
      }
    });

    it('403 for a valid assertion replayed through it to another path or method', async () => {
      const issued = await fetch(`${validator.url}/auth/verify`, { headers: { Authorization: auth, 'X-Original-URI': '/api/v1/checked/notes?group_id=alpha', 'X-Original-Method': 'GET', 'X-Forwarded-Proto': 'https' } });
      expect(issued.status).toBe(204);
      const token = issued.headers.get('x-twake-assertion') as string;
      for (const path of spellings.map((spelling) => spelling.replace('victim-company', 'alpha'))) {
        const refused = refusalOf(await send(nginxPort, tls.cert, 'GET', path, { ...forged, 'X-Twake-Assertion': token }));
        expect({ path, through: refused.twake !== undefined || refused.status < 400 }).toEqual({ path, through: false });
      }
      for (const path of spellings.slice(0, 3).map((spelling) => spelling.replace('victim-company', 'alpha'))) {
        expect({ path, ...refusalOf(await send(nginxPort, tls.cert, 'GET', path, { 'X-Twake-Assertion': token })) }).toEqual({ path, status: 403, code: 'untrusted_identity', twake: undefined });
      }
      // Control: the same assertion, on the path and method it was issued for, is accepted by the backend.
      const direct = await fetch(`${(backend as Listening).url}/api/v1/checked/notes?group_id=alpha`, { headers: { 'X-Twake-Assertion': token } });
      expect({ status: direct.status, company: ((await direct.json()) as { twake?: { companyId?: unknown } }).twake?.companyId }).toEqual({ status: 200, company: 'alpha' });
    });
  });

  describe('assertions signed with the stored keys, through the bypass location', () => {
    // The spelling nginx sends to `location /` and Express routes under /api/v1/checked.
    const path = '/API/v1/checked/notes';
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'a', public_id: app.publicId, company_id: 'alpha', key_id: 'k', name: 'n', capabilities: [], privileges: [], method: 'GET', path, iss: 'twake-app-auth', aud: 'twake-backend', iat: now(), exp: now() + 30, ...extra });
    const sendWith = async (token: string) => refusalOf(await send(nginxPort, tls.cert, 'GET', `${path}?group_id=alpha`, { 'X-Twake-Assertion': token }));

    it('an assertion for this very request passes; the same one expired is refused', async () => {
      const [key] = storedSigningKeys(env);
      expect(await sendWith(await signWithStoredKey(key, claims()))).toMatchObject({ status: 200 });
      expect(await sendWith(await signWithStoredKey(key, claims({ iat: now() - 90, exp: now() - 60 })))).toEqual({ status: 403, code: 'untrusted_identity', twake: undefined });
    });

    it('a rotated key verifies during its grace and not after', async () => {
      const [old] = storedSigningKeys(env);
      const rotated = await runCli(['keys', 'rotate', '--activate-in', '0', '--grace', '2', '--json'], env);
      expect(rotated.code).toBe(0);
      const token = await signWithStoredKey(old, claims({ exp: now() + 50 }));
      expect(await sendWith(token)).toMatchObject({ status: 200 });
      // Past the grace (2 s), the validator's reread of its keys (1 s) and the backend's key-set cache (1 s).
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect(await sendWith(token)).toEqual({ status: 403, code: 'untrusted_identity', twake: undefined });
      const [, current] = storedSigningKeys(env);
      expect(await sendWith(await signWithStoredKey(current, claims()))).toMatchObject({ status: 200 });
    }, 20_000);
  });

  it('keeps one connection to the validator alive across refusals with a body and a pass (docs/deploy.md\'s upstream keepalive)', async () => {
    const held = () => upstreamConnections(proxy as RunningNginx, validator.port);
    expect((await get('/api/v1/raw/x?group_id=alpha')).status).toBe(200);
    const before = held();
    expect(before).toHaveLength(1);
    // Each refusal is a 401 or 403 with a problem body from the validator: nginx must read it whole to
    // use the connection again, and the next request must not read its rest as its own answer.
    const unknown = await get('/api/v1/raw/x?group_id=alpha', { Authorization: basic(app.publicId, 'wrong') });
    expect(refusalOf(unknown)).toEqual({ status: 401, code: 'invalid_credentials', twake: undefined });
    const notInstalled = await get('/api/v1/raw/x?group_id=beta');
    expect(refusalOf(notInstalled)).toMatchObject({ status: 403 });
    const noCompany = await get('/api/v1/raw/x');
    expect(refusalOf(noCompany)).toMatchObject({ status: 400 });
    const passed = await get('/api/v1/raw/x?group_id=alpha');
    expect(passed.status).toBe(200);
    expect((JSON.parse(passed.body) as { headers: Record<string, string> }).headers['x-twake-company-id']).toBe('alpha');
    // The same connection throughout: none opened, none closed.
    expect(held()).toEqual(before);
  });

  // Last: it spends the failure budget of 127.0.0.1.
  it('429 keeps Retry-After, RateLimit and RateLimit-Policy', async () => {
    const wrong = { Authorization: basic('nobody', 'wrong') };
    let last: Answer | undefined;
    for (let attempt = 0; attempt < 8 && last?.status !== 429; attempt += 1) last = await get('/api/v1/raw/x?group_id=alpha', wrong);
    expect(last?.status).toBe(429);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({ status: 429, code: 'too_many_failures', twake_error: 'unknown_application_or_bad_private_key' });
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.headers['ratelimit']).toMatch(/^"ip";r=0;t=\d+$/);
    expect(last?.headers['ratelimit-policy']).toMatch(/^"ip";q=5;w=60$/);
  });
});

/** Status and code of a refusal; the identity if the request went through. */
function refusalOf(response: Answer): { status: number; code?: unknown; twake?: unknown } {
  // nginx's own refusals are HTML.
  if (!/^\s*\{/.test(response.body)) return { status: response.status, code: response.body.slice(0, 120) };
  const body = JSON.parse(response.body) as { code?: unknown; twake?: unknown };
  return { status: response.status, code: body.code, twake: body.twake };
}

function answer(response: Answer): { status: number; company: unknown } {
  const body = JSON.parse(response.body) as { twake?: { companyId?: unknown } };
  return { status: response.status, company: body.twake?.companyId };
}
