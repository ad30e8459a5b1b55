// The real server's answers fit docs/openapi.yaml: for each request below, its status is listed for that
// path and method, its body matches the response's schema and its headers the response's headers. Every
// path of the description is exercised.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { basicAuthorization } from '../../src/testing';
import { createAjv, loadOpenApi, mismatches, templateOf, type Observed } from '../helpers/openapi';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

const document = loadOpenApi();
const ajv = createAjv(document);
const exercised = new Set<string>();

let started: ServerWithApp;
let valid: string;

beforeAll(async () => {
  // Two failures per public id before 429, and a short body wait: both refusals are then cheap to cause.
  started = await startServerWithApp('sqlite', { name: 'OpenAPI app', serverEnv: { AUTH_PUBLIC_ID_FAILURE_LIMIT: '2', BODY_TIMEOUT_MS: '300', JWT_SECRET: 'a-jwt-secret-shared-with-twake-of-32-bytes-or-more' } });
  valid = basicAuthorization(started.app.publicId, started.app.privateKey);
}, 60_000);

afterAll(async () => {
  await started?.stop();
});

/** Sends a request to the server, checks its answer against the description, and returns it. */
async function call(method: string, target: string, headers: Record<string, string> = {}, body?: string | Uint8Array): Promise<Observed> {
  const response = await fetch(`${started.server.url}${target}`, { method, headers, body });
  const observed: Observed = { method, target, status: response.status, headers: response.headers, body: await response.text() };
  const template = templateOf(document, target.split('?')[0] ?? '');
  if (template !== null) exercised.add(template);
  expect(mismatches(document, ajv, observed)).toEqual([]);
  return observed;
}

const json = (observed: Observed) => JSON.parse(observed.body) as Record<string, unknown>;

describe('the server against docs/openapi.yaml', () => {
  it('health, readiness, metrics and the key set', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect(json(await call('GET', '/readyz'))).toEqual({ status: 'ready' });
    expect((await call('GET', '/metrics')).body).toContain('twake_app_auth_decisions_total');
    const keys = json(await call('GET', '/.well-known/jwks.json')).keys;
    expect(keys).toEqual([expect.objectContaining({ kty: 'OKP', alg: 'EdDSA' })]);
  });

  it('the test route: passes and refusals', async () => {
    const passed = await call('GET', '/api/v1/auth/test?group_id=acme', { Authorization: valid });
    expect(json(passed)).toEqual({ ok: true, application: { id: expect.any(String), publicId: started.app.publicId, name: 'OpenAPI app' }, company: { id: 'acme' } });
    expect((await call('POST', '/api/v1/auth/test', { Authorization: valid, 'Content-Type': 'application/json' }, '{"group_id":"acme"}')).status).toBe(200);
    expect((await call('PUT', '/api/v1/auth/test', { Authorization: valid, 'Content-Type': 'application/x-www-form-urlencoded' }, 'group_id=acme')).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/test?group_id=acme')).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/test', { Authorization: valid })).status).toBe(400);
    expect((await call('POST', '/api/v1/auth/test?group_id=acme', { Authorization: valid, 'Content-Type': 'application/json' }, '{"group_id":"other"}')).status).toBe(400);
    expect((await call('GET', '/api/v1/auth/test?group_id=elsewhere', { Authorization: valid })).status).toBe(403);
    expect((await call('POST', '/api/v1/auth/test?group_id=acme', { Authorization: valid, 'Content-Type': 'text/plain' }, 'hello')).status).toBe(415);
    // Bytes, so that fetch adds no Content-Type: read as JSON when it is a JSON object, as Twake's PHP did.
    const untyped = (text: string) => new TextEncoder().encode(text);
    expect(json(await call('POST', '/api/v1/auth/test', { Authorization: valid }, untyped('{"group_id":"acme"}'))).company).toEqual({ id: 'acme' });
    expect((await call('POST', '/api/v1/auth/test', { Authorization: valid }, untyped('{"group_id":"elsewhere"}'))).status).toBe(403);
    expect(json(await call('POST', '/api/v1/auth/test?group_id=acme', { Authorization: valid }, untyped('group_id=acme'))).code).toBe('unsupported_media_type');
    const large = JSON.stringify({ group_id: 'acme', padding: 'x'.repeat(200 * 1024) });
    expect((await call('POST', '/api/v1/auth/test', { Authorization: valid, 'Content-Type': 'application/json' }, large)).status).toBe(413);
  });

  it('forward-auth: a pass carries the assertion and the identity', async () => {
    const nginx = await call('GET', '/auth/verify', { Authorization: valid, 'X-Original-URI': '/api/v1/users?group_id=acme', 'X-Original-Method': 'GET' });
    expect(nginx.status).toBe(204);
    expect(nginx.headers.get('x-twake-assertion')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(nginx.headers.get('x-twake-company-id')).toBe('acme');
    const traefik = await call('POST', '/auth/verify', { Authorization: valid, 'X-Forwarded-Uri': '/users?group_id=acme', 'X-Forwarded-Prefix': '/api/v1', 'X-Forwarded-Method': 'POST' });
    expect(traefik.status).toBe(204);
    const envoy = await call('DELETE', '/auth/verify/api/v1/users/1?group_id=acme', { Authorization: valid });
    expect(envoy.status).toBe(204);
  });

  it('forward-auth: refusals', async () => {
    expect(json(await call('GET', '/auth/verify', { Authorization: valid })).code).toBe('missing_original_uri');
    expect((await call('GET', '/auth/verify', { 'X-Original-URI': '/api/v1/users?group_id=acme' })).status).toBe(401);
    expect((await call('PATCH', '/auth/verify', { Authorization: valid, 'X-Original-URI': '/api/v1/users?group_id=elsewhere' })).status).toBe(403);
    expect((await call('GET', '/auth/verify', { Authorization: valid, 'X-Original-URI': `/api/v1/${'a'.repeat(5000)}?group_id=acme` })).status).toBe(414);
    expect(json(await call('POST', '/auth/verify', { Authorization: valid, 'X-Original-URI': '/api/v1/users?group_id=acme', 'Content-Type': 'text/plain' }, 'x')).code).toBe('unsupported_media_type');
    // A GET on a route Twake took only by POST (Messages/Resources/Routing.php).
    const notPost = await call('GET', '/auth/verify', { Authorization: valid, 'X-Original-Method': 'GET', 'X-Original-URI': '/api/v1/messages/remove?group_id=acme' });
    expect({ status: notPost.status, allow: notPost.headers.get('allow'), code: json(notPost).code, error: json(notPost).error }).toEqual({ status: 405, allow: 'POST', code: 'method_not_allowed', error: 'method_not_allowed' });
    expect(json(await call('GET', '/auth/verify', { 'X-Original-URI': '/api/v1/users?group_id=acme' })).error).toBe('unknown_application_or_bad_private_key');
    const mapped = await call('GET', '/auth/verify', { Authorization: valid, 'X-Twake-Status-Mapping': 'auth-request' });
    const problem = JSON.parse(mapped.headers.get('x-twake-problem') ?? '{}') as { status?: unknown };
    expect({ status: mapped.status, real: mapped.headers.get('x-twake-status'), problem: problem.status, body: mapped.body }).toEqual({ status: 403, real: '400', problem: 400, body: '' });
    // A path Express cannot decode never reaches the validator: a problem without twake_error.
    expect(json(await call('GET', '/auth/verify/%E0%A4%A')).code).toBe('bad_request');
  });

  it('a body that never arrives: 408', async () => {
    const request = [
      'POST /api/v1/auth/test?group_id=acme HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: ${valid}`,
      'Content-Type: application/json',
      'Content-Length: 100',
      '',
      '{"group_id":',
    ].join('\r\n');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(started.server.port, '127.0.0.1', () => socket.write(request));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const [statusLine = '', ...fields] = head.split('\r\n');
    const headers = new Headers(fields.map((field): [string, string] => [field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1).trim()]));
    const observed: Observed = { method: 'POST', target: '/api/v1/auth/test?group_id=acme', status: Number(statusLine.split(' ')[1]), headers, body };
    expect(observed.status).toBe(408);
    expect(mismatches(document, ajv, observed)).toEqual([]);
  });

  it('Twake\'s applications API: login, renewal, me, and the Bearer through forward-auth', async () => {
    const login = await call('POST', '/api/console/v1/login', { 'Content-Type': 'application/json' }, JSON.stringify({ id: started.app.publicId, secret: started.app.privateKey }));
    expect(login.status).toBe(200);
    const pair = (json(login).resource as { access_token: { value: string; refresh: string } }).access_token;
    expect((await call('POST', '/api/console/v1/login', { 'Content-Type': 'application/json' }, JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', secret: 'twk_wrong' }))).status).toBe(401);
    expect((await call('POST', '/api/console/v1/login', { 'Content-Type': 'application/json' }, '{"id":')).status).toBe(400);
    expect((await call('POST', '/api/console/v1/token', { Authorization: `Bearer ${pair.refresh}` })).status).toBe(200);
    expect((await call('POST', '/api/console/v1/token', { Authorization: `Bearer ${pair.value}` })).status).toBe(401);
    expect((await call('GET', '/api/console/v1/me', { Authorization: `Bearer ${pair.value}` })).status).toBe(200);
    expect((await call('GET', '/api/console/v1/me')).status).toBe(401);
    const bearer = { Authorization: `Bearer ${pair.value}` };
    expect((await call('GET', '/auth/verify', { ...bearer, 'X-Original-URI': '/api/v1/users?group_id=acme' })).status).toBe(204);
    // The Node-era scopes: this application was granted none.
    const scoped = await call('GET', '/auth/verify', { ...bearer, 'X-Original-URI': '/api/messages/v1/companies/acme/threads' });
    expect([scoped.status, json(scoped).code]).toEqual([403, 'missing_privilege']);
    const elsewhere = await call('GET', '/auth/verify', { ...bearer, 'X-Original-URI': '/api/messages/v1/companies/other/threads' });
    expect([elsewhere.status, json(elsewhere).code]).toEqual([403, 'not_installed']);
  });

  it('wrong keys for one public id past its budget: 429', async () => {
    const wrong = basicAuthorization(started.app.publicId, 'not-the-key');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/auth/verify', { Authorization: wrong, 'X-Original-URI': '/api/v1/users?group_id=acme' })).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('every path of the description was called', () => {
    expect([...exercised].sort()).toEqual(Object.keys(document.paths ?? {}).sort());
  });
});
