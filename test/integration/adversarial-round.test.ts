// Adversarial round on bodies without Content-Type, the v1 route table and refusals: each test states the
// exact request and the answer it should get.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import { connect as tlsConnect } from 'node:tls';
import { SignJWT } from 'jose';
import { MemoryStore, trustForwardedIdentity, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { basicAuthorization } from '../../src/testing';
import { listenOnFreePort, type Listening } from '../helpers/listen';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';
import type { SelfSigned } from '../helpers/self-signed';
import { describeWithNginx, documentedNginxBlock, sendTls, startNginx, type RunningNginx } from '../helpers/nginx';
import { postExactly, type JsonAnswer } from '../helpers/raw-http';

const KEY = 'twk_adversarial-round';
const AUTH = basicAuthorization('bot', KEY);

type Express = typeof express5;

function appWith(framework: Express) {
  const store = new MemoryStore();
  // Installed in acme only; globex is another company it must never act on.
  store.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['acme'] });
  const app = framework();
  app.use('/api/v1', twakeAppAuth({ store, mode: 'development', throttle: false, routes: twakeV1Routes }));
  app.use(framework.json());
  // A handler that gathers its parameters the common way, copying the body over defaults: what it acts on
  // must be the company that was checked.
  app.post('/api/v1/messages/remove', (req, res) => {
    const params = Object.assign({}, req.body as object) as { group_id?: unknown };
    res.json({ company: req.twake?.companyId, acted_on: params.group_id ?? req.query.group_id ?? null });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}

type Answer = JsonAnswer;

/** A POST with the application's credentials and exactly the other headers given. */
const post = (port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> => postExactly(port, path, body, { Authorization: AUTH, ...headers });

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as Express],
] as const)('a JSON body whose "__proto__" member holds group_id (%s)', (_name, framework) => {
  let listening: Listening;
  beforeAll(async () => {
    listening = await listenOnFreePort(appWith(framework));
  });
  afterAll(() => listening.close());

  // JSON.parse keeps "__proto__" as an own member; any copy by assignment (Object.assign, a for…in copy,
  // a shallow merge) makes it the prototype of the copy, whose group_id is then globex. The validator,
  // which refuses every other key a parser reads as group_id, lets it through on the query's acme.
  it.each([
    ['without Content-Type', {}],
    ['as application/json', { 'Content-Type': 'application/json' }],
  ])('%s: refused 400 invalid_group_id, never let through with the handler acting on globex', async (_kind, headers: Record<string, string>) => {
    const answer = await post(listening.port, '/api/v1/messages/remove?group_id=acme', '{"__proto__":{"group_id":"globex"}}', headers);
    expect({ status: answer.status, code: answer.body.code, acted_on: answer.body.acted_on }).toEqual({ status: 400, code: 'invalid_group_id', acted_on: undefined });
  });

  it('positive control: the same body without "__proto__" passes, acting on acme', async () => {
    const answer = await post(listening.port, '/api/v1/messages/remove?group_id=acme', '{"text":"hi"}');
    expect({ status: answer.status, company: answer.body.company, acted_on: answer.body.acted_on }).toEqual({ status: 200, company: 'acme', acted_on: 'acme' });
  });
});

describe('the backend helper behind nginx (trustForwardedIdentity), the same body', () => {
  const SECRET = 'adversarial-round-shared-secret-32-bytes!';
  const ISSUER = 'twake-app-auth';
  const AUDIENCE = 'twake-backend';
  let listening: Listening;
  beforeAll(async () => {
    const app = express5();
    app.use('/api/v1', trustForwardedIdentity({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE }));
    app.use(express5.json());
    app.post('/api/v1/messages/remove', (req, res) => {
      const params = Object.assign({}, req.body as object) as { group_id?: unknown };
      res.json({ company: req.twake?.companyId, acted_on: params.group_id ?? null });
    });
    app.use(twakeAuthErrorHandler());
    listening = await listenOnFreePort(app);
  });
  afterAll(() => listening.close());

  // The assertion forward-auth signed for acme (nginx never sends the body to the validator).
  const assertion = () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'bot', public_id: 'bot', company_id: 'acme', key_id: 'k', name: 'bot', capabilities: [], privileges: [], method: 'POST', path: '/api/v1/messages/remove', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 30 };
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'twake-assertion+jwt' }).sign(new TextEncoder().encode(SECRET));
  };

  it('positive control: a body naming acme passes', async () => {
    const answer = await post(listening.port, '/api/v1/messages/remove', '{"group_id":"acme"}', { 'Content-Type': 'application/json', 'X-Twake-Assertion': await assertion() });
    expect({ status: answer.status, acted_on: answer.body.acted_on }).toEqual({ status: 200, acted_on: 'acme' });
  });

  it('a body whose "__proto__" member names globex: refused 400 invalid_group_id, as a plain group_id naming globex is', async () => {
    const plain = await post(listening.port, '/api/v1/messages/remove', '{"group_id":"globex"}', { 'Content-Type': 'application/json', 'X-Twake-Assertion': await assertion() });
    expect(plain.status).toBe(400);
    const answer = await post(listening.port, '/api/v1/messages/remove', '{"__proto__":{"group_id":"globex"}}', { 'X-Twake-Assertion': await assertion() });
    expect({ status: answer.status, code: answer.body.code, acted_on: answer.body.acted_on }).toEqual({ status: 400, code: 'invalid_group_id', acted_on: undefined });
  });
});

// ---------------------------------------------------------------------------------------------------------
// nginx with the configuration docs/deploy.md prints: the auth subrequest carries every client header.
// ---------------------------------------------------------------------------------------------------------

/** The status line nginx answers to `head` (the request head, sent as its bytes over TLS). */
function rawTlsStatus(port: number, ca: Buffer, head: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: '127.0.0.1' }, () => socket.write(head));
    let text = '';
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (error) => (text === '' ? reject(error) : resolve(status())));
    socket.on('close', () => resolve(status()));
  });
}

describeWithNginx('nginx auth_request (docs/deploy.md) and large request headers', () => {
  let tls: SelfSigned;
  let proxy: RunningNginx | undefined;
  let started: ServerWithApp;
  let backend: Listening | undefined;
  let nginxPort: number;
  let auth: string;

  beforeAll(async () => {
    started = await startServerWithApp('sqlite', { name: 'Adversarial nginx', company: 'alpha', serverEnv: { NODE_ENV: 'production', TRUST_PROXY: 'loopback' } });
    const validator = started.server;
    auth = basicAuthorization(started.app.publicId, started.app.privateKey);
    const site = express5();
    site.all('/api/v1/*path', (_req, res) => {
      res.json({ reached: true });
    });
    backend = await listenOnFreePort(site);
    const documented = documentedNginxBlock(validator.port);
    proxy = await startNginx(documented.locations, backend.port, documented.upstreams);
    nginxPort = proxy.port;
    tls = proxy.tls;
  });

  afterAll(async () => {
    proxy?.stop();
    await backend?.close();
    await started?.stop();
  });

  it('positive control: a GET through nginx to a route outside the table passes', async () => {
    const answer = await sendTls(nginxPort, tls.cert, 'GET', '/api/v1/notes?group_id=alpha', { Authorization: auth });
    expect(answer.status).toBe(200);
  });

  // The validator binds paths up to 2,048 characters (MAX_BOUND_PATH_LENGTH) into the assertion it
  // answers in a header; nginx reads an upstream's headers into one proxy_buffer_size (one 4 KB page).
  it('GET /api/v1/<path of 2,048 characters>?group_id=alpha: reaches the backend (or a 4xx), never 500', async () => {
    const path = `/api/v1/raw/${'x'.repeat(2048 - '/api/v1/raw/'.length)}`;
    expect(path.length).toBe(2048);
    const answer = await sendTls(nginxPort, tls.cert, 'GET', `${path}?group_id=alpha`, { Authorization: auth });
    expect(answer.status).toBe(200);
  });

  // The same length, each character one JSON doubles in the assertion's claims (a backslash): the 204's
  // headers outgrow nginx's buffer ("upstream sent too big header"), a 502 auth_request turns into 500.
  it('GET /api/v1/raw/<2,036 backslashes>?group_id=alpha (2,048 characters): reaches the backend (or a 4xx), never 500', async () => {
    const short = await sendTls(nginxPort, tls.cert, 'GET', `/api/v1/raw/${'\\'.repeat(400)}?group_id=alpha`, { Authorization: auth });
    expect(short.status).toBe(200);
    const path = `/api/v1/raw/${'\\'.repeat(2048 - '/api/v1/raw/'.length)}`;
    expect(path.length).toBe(2048);
    const answer = await sendTls(nginxPort, tls.cert, 'GET', `${path}?group_id=alpha`, { Authorization: auth });
    expect({ serverError: answer.status >= 500, status: answer.status }).toEqual({ serverError: false, status: expect.any(Number) });
  });

  // nginx accepts request headers up to 4 buffers of 8 KB (large_client_header_buffers) and copies
  // them all into the auth subrequest; Node's HTTP server under the validator stops at 16 KB and answers
  // 431 itself, a status auth_request turns into 500 for the client (and an error in nginx's log).
  it('GET /api/v1/notes?group_id=alpha with three 6,000-byte headers: a 4xx problem answer, never 500', async () => {
    const pad = 'p'.repeat(6000);
    const answer = await sendTls(nginxPort, tls.cert, 'GET', '/api/v1/notes?group_id=alpha', { Authorization: auth, 'X-Pad-1': pad, 'X-Pad-2': pad, 'X-Pad-3': pad });
    expect({ serverError: answer.status >= 500, status: answer.status }).toEqual({ serverError: false, status: expect.any(Number) });
  });

  // nginx passes a header value holding a control character (here 0x01) into the auth subrequest; Node's
  // parser under the validator refuses it with its own 400, which auth_request turns into 500.
  it('GET /api/v1/notes?group_id=alpha with a header value holding 0x01: a 4xx answer, never 500', async () => {
    const head = (extra: string) => Buffer.from(`GET /api/v1/notes?group_id=alpha HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\n${extra}Connection: close\r\n\r\n`, 'latin1');
    expect(await rawTlsStatus(nginxPort, tls.cert, head(''))).toBe(200);
    const status = await rawTlsStatus(nginxPort, tls.cert, head('X-Note: a\u0001b\r\n'));
    expect({ serverError: status >= 500 }).toEqual({ serverError: false });
  });

  it('an Authorization header holding 0x01, or one of 7,000 bytes: a 4xx answer, never 500', async () => {
    const head = (authorization: string) => Buffer.from(`GET /api/v1/notes?group_id=alpha HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`, 'latin1');
    expect(await rawTlsStatus(nginxPort, tls.cert, head(auth))).toBe(200);
    for (const authorization of [`${auth}\u0001`, `Basic ${'A'.repeat(7000)}`]) {
      const status = await rawTlsStatus(nginxPort, tls.cert, head(authorization));
      expect({ authorization: authorization.slice(0, 12), status: status >= 400 && status < 500 }).toEqual({ authorization: authorization.slice(0, 12), status: true });
    }
  });
});

describe('the standalone server: answers outside the validator', () => {
  let started: ServerWithApp;
  let auth: string;

  beforeAll(async () => {
    started = await startServerWithApp('sqlite', { name: 'Adversarial server', company: 'alpha', serverEnv: { TWAKE_ROUTES: 'v1' } });
    auth = basicAuthorization(started.app.publicId, started.app.privateKey);
  });

  afterAll(async () => {
    await started?.stop();
  });

  const ask = async (path: string, headers: Record<string, string> = {}) => {
    const answer = await fetch(`${started.server.url}${path}`, { headers: { Authorization: auth, ...headers } });
    return { status: answer.status, xStatus: answer.headers.get('x-twake-status'), type: answer.headers.get('content-type'), text: await answer.text() };
  };

  it('positive control: an Envoy-style forward-auth path passes', async () => {
    expect((await ask('/auth/verify/api/v1/notes?group_id=alpha')).status).toBe(204);
  });

  // Envoy appends the original path to /auth/verify: a malformed escape in it fails Express's own
  // decoding of the route parameter before forward-auth runs.
  it('GET /auth/verify/api/v1/%ZZ?group_id=alpha: the 400 carries the legacy error member, as every refusal does', async () => {
    const answer = await ask('/auth/verify/api/v1/%ZZ?group_id=alpha');
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    expect({ status: answer.status, error: body.error, twake_error: body.twake_error }).toEqual({ status: 400, error: expect.any(String), twake_error: expect.any(String) });
  });

  // A path the server does not serve: Express's default page repeats the request path in its body.
  it('GET /<img src=x>/secret-looking-path: 404 problem details that do not repeat the request path', async () => {
    const answer = await ask('/%3Cimg%20src=x%3E/twk_leaked_in_path');
    expect({ status: answer.status, problem: answer.type?.startsWith('application/problem+json') ?? false, echoes: answer.text.includes('twk_leaked_in_path') }).toEqual({ status: 404, problem: true, echoes: false });
  });
});
