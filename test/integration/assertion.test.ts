// The signed identity assertion end to end: the real server signs it, a real Express backend verifies it
// with trustForwardedIdentity() and the server's published keys, and every forgery or replay is refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, type JWK } from 'jose';
import request from 'supertest';
import { trustForwardedIdentity, twakeAuthErrorHandler, type ForwardedIdentityOptions } from '../../src';
import { signWithStoredKey, storedSigningKeys } from '../helpers/signing-keys';
import { basic } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { timeUntil } from '../helpers/eventually';
import { listenOnFreePort } from '../helpers/listen';
import { runCli } from '../helpers/processes';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

const ISSUER = 'twake-app-auth';
const AUDIENCE = 'twake-backend';

/** A backend as docs/deploy.md shows it: the checked identity and the body it received. */
function backend(options: ForwardedIdentityOptions) {
  const app = express();
  app.use('/api/v1', trustForwardedIdentity(options));
  app.use(express.json());
  app.all('/api/v1/*path', (req, res) => {
    res.json({ twake: req.twake });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}

describe('identity assertion: signed by the server, verified by the backend', () => {
  let fixture: ServerWithApp;
  let jwksUrl: string;
  let site: ReturnType<typeof backend>;
  const auth = () => basic(fixture.app.publicId, fixture.app.privateKey);

  /** What forward-auth answers for `method uri`, as nginx asks it. */
  async function verify(method: string, uri: string, extra: Record<string, string> = {}) {
    return request(fixture.server.url).get('/auth/verify').set({ Authorization: auth(), 'X-Original-URI': uri, 'X-Original-Method': method, ...extra });
  }
  async function assertionFor(method: string, uri: string): Promise<string> {
    const response = await verify(method, uri);
    expect(response.status).toBe(204);
    return response.headers['x-twake-assertion'] as string;
  }
  /** A token signed with the server's own stored key, with any claims and header. */
  const signWithServerKey = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => signWithStoredKey(storedSigningKeys(fixture.env)[0], claims, header);
  const now = () => Math.floor(Date.now() / 1000);
  function claimsFor(method: string, path: string, extra: Record<string, unknown> = {}) {
    return { sub: 'app-id', public_id: fixture.app.publicId, company_id: 'acme', key_id: 'k', name: 'Assertion test', capabilities: [], privileges: [], method, path, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 30, ...extra };
  }

  beforeAll(async () => {
    fixture = await startServerWithApp('sqlite', { name: 'Assertion test', createArgs: ['--capabilities', 'messages_save', '--privileges', 'channels'] });
    jwksUrl = `${fixture.server.url}/.well-known/jwks.json`;
    site = backend({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('204 carries a compact JWS: EdDSA, typed, from a published key, with the identity and the request it is for', async () => {
    const token = await assertionFor('POST', '/api/v1/messages/save?group_id=acme');
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'twake-assertion+jwt' });
    const published = (await request(fixture.server.url).get('/.well-known/jwks.json')).body as { keys: JWK[] };
    expect(published.keys.map((key) => key.kid)).toContain(header.kid);
    // Public halves only.
    for (const key of published.keys) expect(key).not.toHaveProperty('d');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      public_id: fixture.app.publicId,
      company_id: 'acme',
      name: 'Assertion test',
      capabilities: ['messages_save'],
      privileges: ['channels'],
      method: 'POST',
      path: '/api/v1/messages/save',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(30);
  });

  it('200: the backend sets req.twake from the assertion alone, ignoring X-Twake-* identity headers', async () => {
    const token = await assertionFor('POST', '/api/v1/messages/save?group_id=acme');
    const response = await request(site)
      .post('/api/v1/messages/save?group_id=acme')
      .set({ 'X-Twake-Assertion': token, 'X-Twake-Company-Id': 'victim', 'X-Twake-Capabilities': 'everything' })
      .send({ group_id: 'acme' });
    expect(response.status).toBe(200);
    expect(response.body.twake).toMatchObject({ publicId: fixture.app.publicId, companyId: 'acme', capabilities: ['messages_save'], privileges: ['channels'] });
  });

  it('403: forged identity headers without an assertion, whatever the peer', async () => {
    const forged = { 'X-Twake-Application-Id': 'a', 'X-Twake-Public-Id': 'p', 'X-Twake-Company-Id': 'victim', 'X-Twake-Key-Id': 'k', 'X-Twake-Application-Name': 'n', 'X-Twake-Capabilities': 'messages_save' };
    expectProblem(await request(site).get('/api/v1/notes?group_id=victim').set(forged), 403, 'untrusted_identity');
    expectProblem(await request(site).get('/API/v1/notes?group_id=victim').set(forged), 403, 'untrusted_identity');
  });

  it('403: an assertion replayed to another path, spelling, or method', async () => {
    const token = await assertionFor('GET', '/api/v1/notes/x?group_id=acme');
    expect((await request(site).get('/api/v1/notes/x?group_id=acme').set('X-Twake-Assertion', token)).status).toBe(200);
    // The query is not bound (its group_id is checked against the asserted company instead).
    expect((await request(site).get('/api/v1/notes/x').set('X-Twake-Assertion', token)).status).toBe(200);
    for (const path of ['/api/v1/notes/y', '/API/v1/notes/x', '/api/v1/notes/x/', '/api/v1/notes/x/..', '/api/v1/notes/x;a', '/api/v1/notes/%78', '/api/v1//notes/x', '/api/v1/notes/x/..%2F..%2Fadmin']) {
      expectProblem(await request(site).get(path).set('X-Twake-Assertion', token), 403, 'untrusted_identity');
    }
    for (const method of ['POST', 'DELETE', 'PUT']) {
      expectProblem(await request(site)[method.toLowerCase() as 'post']('/api/v1/notes/x').set('X-Twake-Assertion', token), 403, 'untrusted_identity');
    }
  });

  it('400: a body or query naming another company than the asserted one', async () => {
    const token = await assertionFor('POST', '/api/v1/messages/save?group_id=acme');
    expectProblem(await request(site).post('/api/v1/messages/save').set('X-Twake-Assertion', token).send({ group_id: 'victim' }), 400, 'invalid_group_id');
    expectProblem(await request(site).post('/api/v1/messages/save?group_id=victim').set('X-Twake-Assertion', token), 400, 'invalid_group_id');
  });

  it('400: on a company path (Twake\'s current API), a company_id in the body naming another company', async () => {
    const path = '/api/messages/v1/companies/acme/threads';
    const token = await signWithServerKey(claimsFor('POST', path));
    const app = express();
    app.use('/api', trustForwardedIdentity({ jwksUrl, issuer: ISSUER, audience: AUDIENCE }));
    app.all('/api/*path', (req, res) => {
      res.json({ twake: req.twake });
    });
    app.use(twakeAuthErrorHandler());
    expect((await request(app).post(path).set('X-Twake-Assertion', token).send({ company_id: 'acme' })).status).toBe(200);
    expectProblem(await request(app).post(path).set('X-Twake-Assertion', token).send({ company_id: 'victim' }), 400, 'invalid_group_id');
  });

  it('403: two assertions, an absent one, an empty one, an oversized one', async () => {
    const token = await assertionFor('GET', '/api/v1/notes?group_id=acme');
    const twice = await request(site).get('/api/v1/notes').set('X-Twake-Assertion', [token, token] as unknown as string);
    expectProblem(twice, 403, 'untrusted_identity');
    expectProblem(await request(site).get('/api/v1/notes'), 403, 'untrusted_identity');
    expectProblem(await request(site).get('/api/v1/notes').set('X-Twake-Assertion', ''), 403, 'untrusted_identity');
    expectProblem(await request(site).get('/api/v1/notes').set('X-Twake-Assertion', `${token}${'A'.repeat(9000)}`), 403, 'untrusted_identity');
  });

  it('403: expired, too long-lived, issued in the future, or from another issuer, audience or type', async () => {
    const path = '/api/v1/notes';
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ iat: now() - 120, exp: now() - 60 }, {}],
      [{ iat: now(), exp: now() + 3600 }, {}],
      [{ iat: now() + 600, exp: now() + 630 }, {}],
      [{ iss: 'someone-else' }, {}],
      [{ aud: 'another-backend' }, {}],
      [{}, { typ: 'JWT' }],
      [{ company_id: 'a\u0000b' }, {}],
      [{ capabilities: 'messages_save' }, {}],
      [{ exp: undefined }, {}],
    ];
    // Control: the same forging code with nothing changed passes, so each refusal is for its one change.
    expect((await request(site).get(path).set('X-Twake-Assertion', await signWithServerKey(claimsFor('GET', path)))).status).toBe(200);
    for (const [claims, header] of cases) {
      const token = await signWithServerKey(claimsFor('GET', path, claims), header);
      expectProblem(await request(site).get(path).set('X-Twake-Assertion', token), 403, 'untrusted_identity');
    }
  });

  it('200 within the clock tolerance (5 s), 403 beyond it', async () => {
    const path = '/api/v1/notes';
    const justExpired = await signWithServerKey(claimsFor('GET', path, { iat: now() - 32, exp: now() - 2 }));
    expect((await request(site).get(path).set('X-Twake-Assertion', justExpired)).status).toBe(200);
    const expired = await signWithServerKey(claimsFor('GET', path, { iat: now() - 40, exp: now() - 10 }));
    expectProblem(await request(site).get(path).set('X-Twake-Assertion', expired), 403, 'untrusted_identity');
  });

  it('403: alg none, HS256 keyed with the public key (algorithm confusion), another key under a published kid, an unknown kid', async () => {
    const path = '/api/v1/notes';
    const [stored] = storedSigningKeys(fixture.env);
    const publicJwk = JSON.parse(stored?.public_jwk ?? '{}') as JWK & { x: string };
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const unsigned = `${encode({ alg: 'none', typ: 'twake-assertion+jwt' })}.${encode(claimsFor('GET', path))}.`;
    const confusedKeys = [base64url.decode(publicJwk.x), new TextEncoder().encode(stored?.public_jwk ?? '')];
    const confused = await Promise.all(
      confusedKeys.map((secret) => new SignJWT(claimsFor('GET', path)).setProtectedHeader({ alg: 'HS256', kid: stored?.id, typ: 'twake-assertion+jwt' }).sign(secret)),
    );
    const stranger = await generateKeyPair('EdDSA');
    const underPublishedKid = await new SignJWT(claimsFor('GET', path)).setProtectedHeader({ alg: 'EdDSA', kid: stored?.id, typ: 'twake-assertion+jwt' }).sign(stranger.privateKey);
    const unknownKid = await new SignJWT(claimsFor('GET', path)).setProtectedHeader({ alg: 'EdDSA', kid: '../../../etc/passwd', typ: 'twake-assertion+jwt' }).sign(stranger.privateKey);
    const embedded = await new SignJWT(claimsFor('GET', path))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'twake-assertion+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, jku: 'http://127.0.0.1:1/keys.json' })
      .sign(stranger.privateKey);
    for (const token of [unsigned, ...confused, underPublishedKid, unknownKid, embedded]) {
      expectProblem(await request(site).get(path).set('X-Twake-Assertion', token), 403, 'untrusted_identity');
    }
  });

  it('503 identity_keys_unavailable (never a pass, never a hang) when the key set cannot be fetched', async () => {
    const dead = await listenOnFreePort((_req, res) => res.socket?.destroy());
    const slow = await listenOnFreePort(() => undefined);
    const broken = await listenOnFreePort((_req, res) => res.end('not json'));
    try {
      const token = await assertionFor('GET', '/api/v1/notes?group_id=acme');
      for (const keySet of [dead, slow, broken]) {
        const lost = backend({ jwksUrl: `${keySet.url}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE, jwksTimeoutMs: 300 });
        const started = Date.now();
        expectProblem(await request(lost).get('/api/v1/notes').set('X-Twake-Assertion', token), 503, 'identity_keys_unavailable');
        expect(Date.now() - started).toBeLessThan(2000);
      }
    } finally {
      for (const listening of [dead, slow, broken]) {
        listening.server.closeAllConnections();
        await listening.close();
      }
    }
  });

  it('verifies with static keys (the published set) and with a shared secret, refusing the other kind', async () => {
    const published = (await request(fixture.server.url).get('/.well-known/jwks.json')).body as { keys: JWK[] };
    const token = await assertionFor('GET', '/api/v1/notes?group_id=acme');
    const staticSite = backend({ keys: published, issuer: ISSUER, audience: AUDIENCE });
    expect((await request(staticSite).get('/api/v1/notes').set('X-Twake-Assertion', token)).status).toBe(200);
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const secretSite = backend({ secret, issuer: ISSUER, audience: AUDIENCE });
    expectProblem(await request(secretSite).get('/api/v1/notes').set('X-Twake-Assertion', token), 403, 'untrusted_identity');
    const hs = await new SignJWT(claimsFor('GET', '/api/v1/notes')).setProtectedHeader({ alg: 'HS256', typ: 'twake-assertion+jwt' }).sign(new TextEncoder().encode(secret));
    expect((await request(secretSite).get('/api/v1/notes').set('X-Twake-Assertion', hs)).status).toBe(200);
    expectProblem(await request(staticSite).get('/api/v1/notes').set('X-Twake-Assertion', hs), 403, 'untrusted_identity');
  });

  it('refuses at construction: a jwksUrl over plain HTTP to another host, a short secret, no issuer', () => {
    expect(() => trustForwardedIdentity({ jwksUrl: 'http://validator.internal/.well-known/jwks.json', issuer: ISSUER, audience: AUDIENCE })).toThrow(/https/);
    expect(() => trustForwardedIdentity({ jwksUrl: 'http://validator.internal/.well-known/jwks.json', issuer: ISSUER, audience: AUDIENCE, allowHttpJwksUrl: true })).not.toThrow();
    expect(() => trustForwardedIdentity({ secret: 'short', issuer: ISSUER, audience: AUDIENCE })).toThrow(/32 bytes/);
    expect(() => trustForwardedIdentity({ jwksUrl, audience: AUDIENCE } as never)).toThrow(/issuer/);
  });

  it('Traefik with StripPrefix: binds prefix + URI, read back with strippedPrefix', async () => {
    const response = await request(fixture.server.url)
      .get('/auth/verify')
      .set({ Authorization: auth(), 'X-Forwarded-Uri': '/messages/save?group_id=acme', 'X-Forwarded-Prefix': '/api/v1', 'X-Forwarded-Method': 'POST' });
    expect(response.status).toBe(204);
    const token = response.headers['x-twake-assertion'] as string;
    expect(decodeJwt(token)).toMatchObject({ method: 'POST', path: '/api/v1/messages/save' });
    const stripped = express();
    stripped.use(trustForwardedIdentity({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, strippedPrefix: '/api/v1' }));
    stripped.post('/messages/save', (req, res) => {
      res.json({ twake: req.twake });
    });
    stripped.use(twakeAuthErrorHandler());
    expect((await request(stripped).post('/messages/save').set('X-Twake-Assertion', token)).status).toBe(200);
    expectProblem(await request(stripped).post('/messages/other').set('X-Twake-Assertion', token), 403, 'untrusted_identity');
  });
});

describe('forward-auth as each proxy asks it', () => {
  let fixture: ServerWithApp;
  const auth = () => basic(fixture.app.publicId, fixture.app.privateKey);

  beforeAll(async () => {
    // Granted nothing (the route table refuses writes), callable from 198.51.100.0/24 only.
    fixture = await startServerWithApp('sqlite', { name: 'Proxies test', createArgs: ['--privileges', 'channels', '--allowed-ips', '198.51.100.0/24'], serverEnv: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  it('Traefik after StripPrefix: the prefix counts for the route table (403, not 204 for a route never granted)', async () => {
    const traefik = { Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Method': 'POST', 'X-Forwarded-Prefix': '/api/v1' };
    const save = await request(fixture.server.url).get('/auth/verify').set({ ...traefik, 'X-Forwarded-Uri': '/messages/save?group_id=acme' });
    expectProblem(save, 403, 'missing_capability');
    const read = await request(fixture.server.url).get('/auth/verify').set({ ...traefik, 'X-Forwarded-Uri': '/channels/get_by_workspace?group_id=acme' });
    expect(read.status).toBe(204);
    expect(decodeJwt(read.headers['x-twake-assertion'] as string)).toMatchObject({ method: 'POST', path: '/api/v1/channels/get_by_workspace' });
    // Twake routed it by POST only (Channels/Resources/Routing.php): the prefix counts for the method too.
    const get = await request(fixture.server.url).get('/auth/verify').set({ ...traefik, 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/channels/get_by_workspace?group_id=acme' });
    expectProblem(get, 405, 'method_not_allowed');
  });

  it('a client-sent X-Forwarded-Prefix cannot move the original path out of the route table', async () => {
    const response = await request(fixture.server.url)
      .get('/auth/verify')
      .set({ Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Method': 'POST', 'X-Forwarded-Uri': '/api/v1/messages/save?group_id=acme', 'X-Forwarded-Prefix': '/api/v1/channels/get_by_workspace/..' });
    expectProblem(response, 403, 'missing_capability');
  });

  it('a client-sent X-Original-URI through Traefik does not drop the prefix Traefik stripped', async () => {
    const traefik = { Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Method': 'POST', 'X-Forwarded-Prefix': '/api/v1', 'X-Forwarded-Uri': '/messages/save?group_id=acme' };
    const response = await request(fixture.server.url).get('/auth/verify').set({ ...traefik, 'X-Original-URI': '/messages/save?group_id=acme' });
    expectProblem(response, 403, 'missing_capability');
  });

  it('414 for an original path too long to bind (over 2,048 characters), whatever the route table', async () => {
    const path = `/api/v1/notes/${'a'.repeat(2100)}`;
    const response = await request(fixture.server.url).get('/auth/verify').set({ Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Original-URI': `${path}?group_id=acme` });
    expectProblem(response, 414, 'uri_too_long');
  });

  it('400 for an ambiguous original request: two methods, a prefix that is not a path, two prefixes; 400 with no original URI', async () => {
    const base = { Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Uri': '/channels/get_by_workspace?group_id=acme' };
    for (const extra of [
      { 'X-Forwarded-Method': 'GET', 'X-Original-Method': 'POST' },
      { 'X-Forwarded-Prefix': 'api/v1' },
      { 'X-Forwarded-Prefix': '/api/v1?x=1' },
      { 'X-Forwarded-Method': 'G E T' },
    ] as Array<Record<string, string>>) {
      expectProblem(await request(fixture.server.url).get('/auth/verify').set({ ...base, ...extra }), 400, 'invalid_forwarded_request');
    }
    const twoPrefixes = await request(fixture.server.url).get('/auth/verify').set(base).set('X-Forwarded-Prefix', ['/api/v1', '/x'] as unknown as string);
    expectProblem(twoPrefixes, 400, 'invalid_forwarded_request');
    const blind = await request(fixture.server.url).get('/auth/verify').set({ Authorization: auth(), 'X-Forwarded-For': '198.51.100.7', 'X-Twake-Group-Id': 'acme' });
    expectProblem(blind, 400, 'missing_original_uri');
  });

  it('Envoy: the original path appended, the original method kept, and X-Forwarded-For as use_remote_address: true writes it', async () => {
    // Envoy appends the address the connection came from; a client may have prepended anything.
    const envoy = (forwardedFor: string) => request(fixture.server.url).post('/auth/verify/api/v1/channels/get_by_workspace?group_id=acme').set({ Authorization: auth(), 'X-Forwarded-For': forwardedFor });
    const passed = await envoy('203.0.113.66, 198.51.100.7');
    expect(passed.status).toBe(204);
    expect(decodeJwt(passed.headers['x-twake-assertion'] as string)).toMatchObject({ method: 'POST', path: '/api/v1/channels/get_by_workspace' });
    // Envoy's own method is the original one: a DELETE on a POST-only route is refused.
    expectProblem(await request(fixture.server.url).delete('/auth/verify/api/v1/channels/get_by_workspace?group_id=acme').set({ Authorization: auth(), 'X-Forwarded-For': '198.51.100.7' }), 405, 'method_not_allowed');
    // The client claims an allowed address; the connection came from elsewhere: refused.
    expectProblem(await envoy('198.51.100.7, 203.0.113.66'), 403, 'ip_not_allowed');
  });
});

describe('signing key rotation', () => {
  let fixture: ServerWithApp;

  beforeAll(async () => {
    fixture = await startServerWithApp('sqlite', { name: 'Rotation test', serverEnv: { SIGNING_KEYS_REFRESH_SECONDS: '1' } });
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  const verifyAt = async (url: string) => {
    const response = await request(url).get('/auth/verify').set({ Authorization: basic(fixture.app.publicId, fixture.app.privateKey), 'X-Original-URI': '/api/v1/notes?group_id=acme' });
    expect(response.status).toBe(204);
    return response.headers['x-twake-assertion'] as string;
  };

  it('publishes the next key ahead, signs with it once active, keeps the old one verifying for its grace and not after', async () => {
    const jwksUrl = `${fixture.server.url}/.well-known/jwks.json`;
    const site = backend({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksCacheSeconds: 1 });
    const before = await verifyAt(fixture.server.url);
    const oldKid = decodeProtectedHeader(before).kid;

    // Published now, signing in 3 s; the old key stays published 3 s after that.
    const rotated = await runCli(['keys', 'rotate', '--activate-in', '3', '--grace', '3', '--json'], fixture.env);
    expect(rotated.code).toBe(0);
    const { id: newKid, activeFrom } = JSON.parse(rotated.stdout) as { id: string; activeFrom: string };
    const activation = Date.parse(activeFrom);
    // Published ahead (once the server has reread its keys, every second), while the old key still signs.
    await timeUntil(async () => ((await request(fixture.server.url).get('/.well-known/jwks.json')).body as { keys: JWK[] }).keys.some((key) => key.kid === newKid), 2500);
    const published = ((await request(fixture.server.url).get('/.well-known/jwks.json')).body as { keys: JWK[] }).keys.map((key) => key.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid]));
    const beforeActivation = await verifyAt(fixture.server.url);
    if (Date.now() < activation - 200) expect(decodeProtectedHeader(beforeActivation).kid).toBe(oldKid);

    // From its activation, the new key signs.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, activation - Date.now())));
    const after = await verifyAt(fixture.server.url);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect((await request(site).get('/api/v1/notes').set('X-Twake-Assertion', after)).status).toBe(200);
    // Within the grace: an assertion of the old key still verifies.
    expect((await request(site).get('/api/v1/notes').set('X-Twake-Assertion', before)).status).toBe(200);

    // Past the grace (plus the server's 1 s reread and the backend's 1 s key-set cache): refused, and not
    // before the grace ended.
    await timeUntil(async () => (await request(site).get('/api/v1/notes').set('X-Twake-Assertion', before)).status === 403, activation + 3000 + 4000 - Date.now());
    expect(Date.now()).toBeGreaterThanOrEqual(activation + 3000);
    const finalKids = ((await request(fixture.server.url).get('/.well-known/jwks.json')).body as { keys: JWK[] }).keys.map((key) => key.kid);
    expect(finalKids).toEqual([newKid]);
    expectProblem(await request(site).get('/api/v1/notes').set('X-Twake-Assertion', before), 403, 'untrusted_identity');
    expect((await request(site).get('/api/v1/notes').set('X-Twake-Assertion', await verifyAt(fixture.server.url))).status).toBe(200);

    // Signing at once warns; out-of-range durations are a usage error that writes nothing.
    const hasty = await runCli(['keys', 'rotate', '--activate-in', '0', '--grace', '0', '--json'], fixture.env);
    expect(JSON.parse(hasty.stdout)).toMatchObject({ warning: expect.stringContaining('403') });
    for (const args of [['--grace', '99999999999999'], ['--activate-in', '999999999'], ['--algorithm', 'RS256']]) {
      const refused = await runCli(['keys', 'rotate', ...args, '--json'], fixture.env);
      expect({ args, code: refused.code, error: (JSON.parse(refused.stderr) as { error: { code: string } }).error.code }).toEqual({ args, code: 2, error: 'usage' });
    }
    const listed = await runCli(['keys', 'list', '--json'], fixture.env);
    expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [{ id: oldKid, state: 'retired' }, { id: newKid, state: 'retired' }, { state: 'current' }] });
  }, 30_000);
});
