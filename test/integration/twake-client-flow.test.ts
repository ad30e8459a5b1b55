// Today's Twake clients: the n8n plugin's flow (log in with id and secret, then Bearer on company paths),
// against a real database, with every refusal the Basic decision gives.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import { SignJWT, UnsecuredJWT, importJWK, type JWK } from 'jose';
import request from 'supertest';
import {
  createCachedStore,
  createFailureThrottle,
  createPrismaStore,
  listenForChanges,
  twakeAppLogin,
  twakeAuthErrorHandler,
  twakeNodeRoutes,
  type ChangeListener,
  type TokenRouteOptions,
} from '../../src';
import { createAdmin, type Admin } from '../../src/admin/admin';
import { openDatabaseKeyRing, type SigningKeyPrismaLike, type SigningKeyRing, type SigningKeyRow } from '../../src/assertion/signing-keys';
import { VARIANTS, validatorHandlers } from '../helpers/create-server';
import { testProviders } from '../helpers/databases';
import { issueTokens } from '../../src/tokens/issue-tokens';
import { parseTokenOptions } from '../../src/tokens/token-settings';
import { eventually, timeUntil } from '../helpers/eventually';
import { useTestDatabase } from '../helpers/use-test-database';
import { tokenApp, type TokenApp } from '../helpers/token-app';

const SECRET = 'a-shared-secret-of-at-least-thirty-two-bytes!';
const COMPANY = 'company-1';
const OTHER_INSTALLED = 'company-3';
const NOT_INSTALLED = 'company-2';
// Bounds promised in docs/security.md: the change notifications (PostgreSQL), the cache TTL (SQLite).
const BOUND_MS = { postgresql: 1000, sqlite: 2000 } as const;

type App = TokenApp;



/** The n8n plugin's credentials step: POST {id, secret} to /api/console/v1/login, keep resource.access_token.value. */
async function n8nLogin(app: App, id: string, secret: string): Promise<string> {
  const response = await request(app).post('/api/console/v1/login').set('Content-Type', 'application/json').send({ id, secret });
  expect(response.status).toBe(200);
  return (response.body as { resource: { access_token: { value: string } } }).resource.access_token.value;
}

/** A key just added reaches another process's cache within the same bound as a revocation: log in once it has. */
const eventuallyLogin = (app: App, id: string, secret: string): Promise<string> => eventually(() => n8nLogin(app, id, secret), 3000);

/** The plugin's "send message" step: POST /api/messages/v1/companies/{company_id}/threads with the Bearer. */
const postThread = (app: App, token: string, company: string, body: object = { resource: {}, options: {} }) =>
  request(app).post(`/api/messages/v1/companies/${encodeURIComponent(company)}/threads`).set('Authorization', `Bearer ${token}`).send(body);

describe.each(testProviders())('the n8n plugin flow on %s', (provider) => {
  const database = useTestDatabase(provider);
  let admin: Admin;
  let app: App;
  let listener: ChangeListener | null = null;
  let publicId: string;
  let privateKey: string;

  beforeAll(async () => {
    // Changes made by another process: this admin does not tell the cache (only notifications or the TTL do).
    admin = createAdmin(database().prisma);
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: provider === 'sqlite' ? 1000 : 60_000 });
    if (provider === 'postgresql') {
      listener = listenForChanges(database().url, store, { retryMs: 50 });
      await listener.ready;
    }
    app = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle: false });
    const created = await admin.createApplication({ name: 'n8n', capabilities: ['write:messages'], privileges: ['read:messages'] });
    publicId = created.publicId;
    privateKey = created.privateKey;
    await admin.install(publicId, COMPANY);
    await admin.install(publicId, OTHER_INSTALLED);
  });

  afterAll(async () => {
    await listener?.close();
  });

  it('logs in as the plugin does and calls a company path of an installed company', async () => {
    const response = await request(app).post('/api/console/v1/login').send({ id: publicId, secret: privateKey });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const token = response.body.resource.access_token;
    expect(Object.keys(token).sort()).toEqual(['expiration', 'refresh', 'refresh_expiration', 'time', 'type', 'value']);
    expect(token.type).toBe('Bearer');
    expect(token.expiration - token.time).toBe(3600);
    expect(token.refresh_expiration - token.time).toBe(2_592_000);
    const call = await postThread(app, token.value, COMPANY);
    expect(call.status).toBe(200);
    expect(call.body.twake).toMatchObject({ publicId, companyId: COMPANY });
  });

  it('logs in as the connectors that also send the pair as Basic do (the body decides)', async () => {
    const basicPair = `Basic ${Buffer.from(`${publicId}:${privateKey}`).toString('base64')}`;
    const both = await request(app).post('/api/console/v1/login').set('Authorization', basicPair).send({ id: publicId, secret: privateKey });
    expect(both.status).toBe(200);
    expect((await postThread(app, both.body.resource.access_token.value, COMPANY)).status).toBe(200);
    const headerOnly = await request(app).post('/api/console/v1/login').set('Authorization', basicPair);
    expect([headerOnly.status, headerOnly.body.code]).toEqual([401, 'missing_credentials']);
  });

  it('refuses another company', async () => {
    const token = await n8nLogin(app, publicId, privateKey);
    const call = await postThread(app, token, NOT_INSTALLED);
    expect(call.status).toBe(403);
    expect(call.body.code).toBe('not_installed');
  });

  it('refuses a company_id (query, body) or group_id that disagrees with the path', async () => {
    const token = await n8nLogin(app, publicId, privateKey);
    const inQuery = await request(app).post(`/api/messages/v1/companies/${COMPANY}/threads?company_id=${OTHER_INSTALLED}`).set('Authorization', `Bearer ${token}`).send({});
    expect([inQuery.status, inQuery.body.code]).toEqual([400, 'invalid_group_id']);
    const inBody = await postThread(app, token, COMPANY, { company_id: OTHER_INSTALLED });
    expect([inBody.status, inBody.body.code]).toEqual([400, 'invalid_group_id']);
    const groupId = await postThread(app, token, COMPANY, { group_id: OTHER_INSTALLED });
    expect([groupId.status, groupId.body.code]).toEqual([400, 'invalid_group_id']);
    const aliased = await request(app).post(`/api/messages/v1/companies/${COMPANY}/threads?company_id[]=${OTHER_INSTALLED}`).set('Authorization', `Bearer ${token}`).send({});
    expect([aliased.status, aliased.body.code]).toEqual([400, 'invalid_group_id']);
    // A backend that does not resolve dot segments (Twake's router) would read company-2 here, a proxy that
    // does would read company-1: refused rather than guessed.
    for (const path of [`${NOT_INSTALLED}/../${COMPANY}`, `${NOT_INSTALLED}/%2e%2e/${COMPANY}`, `${COMPANY}/./`]) {
      const dotted = await request(app).post(`/api/messages/v1/companies/${path}/threads`).set('Authorization', `Bearer ${token}`).send({});
      expect([dotted.status, dotted.body.code]).toEqual([400, 'invalid_group_id']);
    }
    const agreeing = await postThread(app, token, COMPANY, { company_id: COMPANY });
    expect(agreeing.status).toBe(200);
  });

  it('enforces the Node-era scopes of the route (read:messages, write:messages, delete:messages)', async () => {
    const token = await n8nLogin(app, publicId, privateKey);
    const read = await request(app).get(`/api/messages/v1/companies/${COMPANY}/threads/t/messages`).set('Authorization', `Bearer ${token}`);
    expect(read.status).toBe(200);
    const remove = await request(app).post(`/api/messages/v1/companies/${COMPANY}/threads/t/messages/m/delete`).set('Authorization', `Bearer ${token}`).send({});
    expect([remove.status, remove.body.code, remove.body.missing]).toEqual([403, 'missing_capability', ['delete:messages']]);
    const channels = await request(app).get(`/api/channels/v1/companies/${COMPANY}/workspaces/w/channels`).set('Authorization', `Bearer ${token}`);
    expect([channels.status, channels.body.code, channels.body.missing]).toEqual([403, 'missing_privilege', ['read:channels']]);
    const folded = await request(app).get(`/api/CHANNELS/v1/companies/${COMPANY}/workspaces/w/channels`).set('Authorization', `Bearer ${token}`);
    expect(folded.status).toBe(403);
  });

  it('refuses a revoked key’s token within the bound', async () => {
    const second = await admin.addKey(publicId);
    const token = await eventuallyLogin(app, publicId, second.privateKey);
    expect((await postThread(app, token, COMPANY)).status).toBe(200);
    const started = Date.now();
    await admin.revokeKey(publicId, second.keyId);
    const took = await timeUntil(async () => (await postThread(app, token, COMPANY)).status === 401, BOUND_MS[provider], started);
    expect(took).toBeLessThanOrEqual(BOUND_MS[provider]);
    // The key the application still holds keeps working.
    expect((await postThread(app, await n8nLogin(app, publicId, privateKey), COMPANY)).status).toBe(200);
  });

  it('refuses a rotated key’s token once its grace is over', async () => {
    const extra = await admin.addKey(publicId, { expiresAt: new Date(Date.now() + 3000) });
    const token = await eventuallyLogin(app, publicId, extra.privateKey);
    expect((await postThread(app, token, COMPANY)).status).toBe(200);
    await timeUntil(async () => (await postThread(app, token, COMPANY)).status === 401, 3000 + BOUND_MS[provider]);
  });

  it('refuses a disabled application, then an uninstalled one, within the bound', async () => {
    const created = await admin.createApplication({ name: 'Disabled soon', capabilities: ['write:messages'] });
    await admin.install(created.publicId, COMPANY);
    const token = await n8nLogin(app, created.publicId, created.privateKey);
    expect((await postThread(app, token, COMPANY)).status).toBe(200);
    let started = Date.now();
    await admin.setEnabled(created.publicId, false);
    await timeUntil(async () => (await postThread(app, token, COMPANY)).status === 401, BOUND_MS[provider], started);
    await admin.setEnabled(created.publicId, true);
    await timeUntil(async () => (await postThread(app, token, COMPANY)).status === 200, BOUND_MS[provider] + 1000);
    started = Date.now();
    await admin.uninstall(created.publicId, COMPANY);
    await timeUntil(async () => (await postThread(app, token, COMPANY)).status === 403, BOUND_MS[provider], started);
  });

  it('refuses a call from an address the application does not allow', async () => {
    const created = await admin.createApplication({ name: 'Fenced', capabilities: ['write:messages'], allowedIps: ['10.0.0.0/8'] });
    await admin.install(created.publicId, COMPANY);
    // The login itself is refused from there, as a Basic call would be (a leaked key cannot be traded
    // for tokens elsewhere); the company path's own check is in adversarial-tokens.test.ts.
    const login = await request(app).post('/api/console/v1/login').set('Content-Type', 'application/json').send({ id: created.publicId, secret: created.privateKey });
    expect([login.status, login.body.code]).toEqual([403, 'ip_not_allowed']);
    // Positive control: a wrong key from there is still the credentials' refusal, judged first.
    const wrong = await request(app).post('/api/console/v1/login').set('Content-Type', 'application/json').send({ id: created.publicId, secret: `${created.privateKey}x` });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);
  });

  it('refuses expired and tampered tokens with 401 and the Bearer challenge', async () => {
    const secret = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const claims = { type: 'access', sub: publicId, application_id: publicId, email: null, track: false, provider_id: '' };
    const expired = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(secret);
    const none = new UnsecuredJWT(claims).setExpirationTime(now + 600).encode();
    const otherSecret = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 600).sign(new TextEncoder().encode(`${SECRET}-but-another`));
    const good = await n8nLogin(app, publicId, privateKey);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'someone-else', application_id: 'someone-else' })).toString('base64url');
    const tampered = `${header}.${changed}.${signature}`;
    const refresh = (await request(app).post('/api/console/v1/login').send({ id: publicId, secret: privateKey })).body.resource.access_token.refresh as string;
    for (const token of [expired, none, otherSecret, tampered, `${good}x`, refresh, 'not a token', '']) {
      const call = await request(app).post(`/api/messages/v1/companies/${COMPANY}/threads`).set('Authorization', `Bearer ${token}`).send({});
      expect([call.status, call.body.code]).toEqual([401, 'invalid_credentials']);
      expect(call.headers['www-authenticate']).toMatch(/^Bearer realm=".*", error="invalid_token"$/);
    }
  });

  it('renews the pair with the refresh token as the Bearer (as Twake’s client does), and only with it', async () => {
    const login = (await request(app).post('/api/console/v1/login').send({ id: publicId, secret: privateKey })).body.resource.access_token;
    const renewed = await request(app).post('/api/console/v1/token').set('Authorization', `Bearer ${login.refresh}`);
    expect(renewed.status).toBe(200);
    expect(renewed.body.access_token.type).toBe('Bearer');
    expect((await postThread(app, renewed.body.access_token.value, COMPANY)).status).toBe(200);
    const withAccess = await request(app).post('/api/console/v1/token').set('Authorization', `Bearer ${login.value}`);
    expect(withAccess.status).toBe(401);
  });

  it('answers /me as Twake shapes the application, without any secret', async () => {
    const token = await n8nLogin(app, publicId, privateKey);
    const me = await request(app).get('/api/console/v1/me').set('Authorization', `Bearer ${token}`);
    expect(me.status).toBe(200);
    expect(me.body.resource).toMatchObject({ id: publicId, identity: { name: 'n8n', code: 'n8n' }, is_default: false });
    expect(JSON.stringify(me.body)).not.toContain(privateKey);
    expect(me.body.resource.api).not.toHaveProperty('private_key');
    // As Twake's own e2e test of /me: 401 for an invalid token, 403 for a user's token.
    expect((await request(app).get('/api/console/v1/me').set('Authorization', `Bearer ${token}!!`)).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const user = await new SignJWT({ type: 'access', sub: 'user-1', email: 'user@example.com', track: true, provider_id: '' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 600).sign(new TextEncoder().encode(SECRET));
    const asUser = await request(app).get('/api/console/v1/me').set('Authorization', `Bearer ${user}`);
    expect([asUser.status, asUser.body.code]).toEqual([403, 'application_token_required']);
    expect((await postThread(app, user, COMPANY)).status).toBe(403);
  });

  it('refuses a login as Basic refuses a key: wrong secret, unknown id, nothing, unreadable body', async () => {
    const wrong = await request(app).post('/api/console/v1/login').send({ id: publicId, secret: `${privateKey}x` });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);
    const unknown = await request(app).post('/api/console/v1/login').send({ id: '00000000-0000-4000-8000-000000000000', secret: privateKey });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'invalid_credentials']);
    const nothing = await request(app).post('/api/console/v1/login');
    expect([nothing.status, nothing.body.code]).toEqual([401, 'missing_credentials']);
    const numbers = await request(app).post('/api/console/v1/login').send({ id: 1, secret: ['x'] });
    expect([numbers.status, numbers.body.code]).toEqual([401, 'invalid_credentials']);
    const malformed = await request(app).post('/api/console/v1/login').set('Content-Type', 'application/json').send('{"id":');
    expect(malformed.status).toBe(400);
    const xml = await request(app).post('/api/console/v1/login').set('Content-Type', 'text/xml').send('<id/>');
    expect(xml.status).toBe(415);
    for (const response of [wrong, unknown, nothing, numbers, malformed, xml]) expect(JSON.stringify(response.body)).not.toContain(privateKey);
  });
});

describe('the login in production mode and under the failure throttle', () => {
  const database = useTestDatabase('sqlite');

  it('refuses a key sent over plain HTTP with 403 (revoking it when asked), and answers 429 past the failure budget', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Throttled' });
    const store = createPrismaStore(database().prisma);
    const cleartext = tokenApp({ store, mode: 'production', tokens: { secret: SECRET } });
    const plain = await request(cleartext).post('/api/console/v1/login').send({ id: created.publicId, secret: created.privateKey });
    expect([plain.status, plain.body.code]).toEqual([403, 'https_required']);
    const token = (await issueTokens(parseTokenOptions({ secret: SECRET }), created.publicId, 'any', Date.now())).value;
    const plainBearer = await request(cleartext).get('/api/messages/v1/companies/c/threads').set('Authorization', `Bearer ${token}`);
    expect([plainBearer.status, plainBearer.body.code]).toEqual([403, 'https_required']);

    // With revokeKeysSeenInCleartext, a valid key sent to the login over plain HTTP is revoked, as in a Basic header.
    const leaked = await admin.createApplication({ name: 'Leaked' });
    const revoking = tokenApp({ store, mode: 'production', tokens: { secret: SECRET }, revokeKeysSeenInCleartext: true, throttle: false });
    const sent = await request(revoking).post('/api/console/v1/login').send({ id: leaked.publicId, secret: leaked.privateKey });
    expect([sent.status, sent.body.code]).toEqual([403, 'https_required']);
    const decisions: Array<[string, number]> = [];
    const development = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, throttle: false, onDecision: ({ code, status }) => decisions.push([code, status]) });
    await eventually(async () => expect((await request(development).post('/api/console/v1/login').send({ id: leaked.publicId, secret: leaked.privateKey })).status).toBe(401));
    // Logins are decisions for onDecision (the server's metrics) like any other.
    expect(decisions.at(-1)).toEqual(['invalid_credentials', 401]);

    // One throttle shared by the login and the middleware, as the server shares it.
    const throttle = createFailureThrottle({ failureLimit: 3, failureWindowSeconds: 60 });
    const throttled = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, throttle });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) statuses.push((await request(throttled).post('/api/console/v1/login').send({ id: created.publicId, secret: 'twk_wrong' })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Bad Bearer tokens spend the same budget.
    const bearer = await request(throttled).get('/api/messages/v1/companies/c/threads').set('Authorization', 'Bearer x.y.z');
    expect(bearer.status).toBe(429);
  });
});

describe('tokens signed with our asymmetric keys', () => {
  const database = useTestDatabase('sqlite');
  let keys: SigningKeyRing;

  beforeAll(async () => {
    keys = await openDatabaseKeyRing(database().prisma, { algorithm: 'EdDSA' });
  });
  afterAll(() => keys.close());

  it('issues EdDSA tokens verifiable with the published set, and refuses HS256 keyed with the public key', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Asymmetric', capabilities: ['write:messages'] });
    await admin.install(created.publicId, COMPANY);
    const app = tokenApp({ store: createPrismaStore(database().prisma), mode: 'development', tokens: { keys }, nodeRoutes: twakeNodeRoutes, throttle: false });
    const token = await n8nLogin(app, created.publicId, created.privateKey);
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toMatchObject({ alg: 'EdDSA' });
    expect((await postThread(app, token, COMPANY)).status).toBe(200);

    // HS/RS confusion: the published public key used as an HMAC secret.
    const published = keys.published().keys[0] as JWK;
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    for (const secret of [JSON.stringify(published), String(published.x)]) {
      const confused = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: published.kid }).sign(new TextEncoder().encode(secret));
      expect((await postThread(app, confused, COMPANY)).status).toBe(401);
    }
    // A Twake-shaped token (no key named) is refused with keys unless acceptUnboundTokens is set.
    const { key_id: _dropped, ...unbound } = payload;
    const [row] = (await (database().prisma as unknown as SigningKeyPrismaLike).signingKey.findMany()) as SigningKeyRow[];
    if (row === undefined) throw new Error('no stored signing key');
    const unboundToken = await new SignJWT(unbound).setProtectedHeader({ alg: 'EdDSA', kid: row.id }).sign(await importJWK(JSON.parse(row.privateJwk) as JWK, 'EdDSA'));
    expect((await postThread(app, unboundToken, COMPANY)).status).toBe(401);
  });
});

describe.each(VARIANTS)('Bearer on a company path through %o', (variant) => {
  const database = useTestDatabase('sqlite');

  it('passes for the installed company, refuses another and a bad token with the Bearer challenge', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Variant', capabilities: ['write:messages'] });
    await admin.install(created.publicId, COMPANY);
    const options: TokenRouteOptions = { store: createPrismaStore(database().prisma), tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle: false };
    const app = (variant.express === 4 ? express4() : express()) as unknown as App;
    app.post('/api/console/v1/login', twakeAppLogin({ ...options, mode: 'development' }));
    if (variant.preParseJson) app.use(express.json());
    app.use('/api', ...validatorHandlers(options, variant.integration), (req: express.Request, res: express.Response) => {
      res.json({ twake: req.twake });
    });
    app.use(twakeAuthErrorHandler());
    const token = await n8nLogin(app, created.publicId, created.privateKey);
    const passed = await postThread(app, token, COMPANY, { text: 'hello' });
    expect([passed.status, passed.body.twake?.companyId]).toEqual([200, COMPANY]);
    expect((await postThread(app, token, NOT_INSTALLED)).status).toBe(403);
    expect((await postThread(app, token, COMPANY, { company_id: NOT_INSTALLED })).status).toBe(400);
    const bad = await postThread(app, `${token}x`, COMPANY);
    expect([bad.status, bad.body.code]).toEqual([401, 'invalid_credentials']);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer /);
  });
});

describe('a store that fails', () => {
  it('answers 503 store_unavailable to the login, the renewal, me and a Bearer call, never 401', async () => {
    const failing = {
      findApplication: () => Promise.reject(new Error('database down')),
    };
    const app = tokenApp({ store: failing, mode: 'development', tokens: { secret: SECRET }, throttle: false });
    const now = Math.floor(Date.now() / 1000);
    const sign = (type: string) =>
      new SignJWT({ type, sub: 'app', application_id: 'app', key_id: 'k1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 600).sign(new TextEncoder().encode(SECRET));
    const answers = [
      await request(app).post('/api/console/v1/login').send({ id: 'app', secret: 'twk_key' }),
      await request(app).post('/api/console/v1/token').set('Authorization', `Bearer ${await sign('refresh')}`),
      await request(app).get('/api/console/v1/me').set('Authorization', `Bearer ${await sign('access')}`),
      await postThread(app, await sign('access'), COMPANY),
    ];
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual(Array.from({ length: 4 }, () => [503, 'store_unavailable']));
  });
});
