// Adversarial round on bodies without Content-Type, the v1 route table and refusals: each test states the
// exact request and the answer it should get.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import { request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import { MemoryStore, trustForwardedIdentity, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { basicAuthorization } from '../../src/testing';
import { listenOnFreePort, type Listening } from '../helpers/listen';

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

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A POST with exactly the headers given (no Content-Type unless listed). */
function post(port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { Authorization: AUTH, 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

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
