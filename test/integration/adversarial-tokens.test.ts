// Adversarial checks of the token routes (login, renewal, me) and Bearer calls, against a real database.
// Each describe holds a positive control beside the requests that should be refused.
import { beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import {
  createCachedStore,
  createFailureThrottle,
  createPrismaStore,
  twakeAppLogin,
  twakeAuthErrorHandler,
  twakeNodeRoutes,
} from '../../src';
import { createAdmin, type Admin } from '../../src/admin/admin';
import { forwardAuth } from '../../src/proxy/forward-auth';
import { testProviders } from '../helpers/databases';
import { useTestDatabase } from '../helpers/use-test-database';
import { tokenApp, type TokenApp } from '../helpers/token-app';

const SECRET = 'a-shared-secret-of-at-least-thirty-two-bytes!';
const COMPANY = 'company-a';
const ALLOWED = '10.0.0.9';
const ELSEWHERE = '203.0.113.9';

type App = TokenApp;



const login = (app: App, body: string, from = ALLOWED) =>
  request(app).post('/api/console/v1/login').set('Content-Type', 'application/json').set('X-Forwarded-For', from).send(body);

describe.each(testProviders())('a login whose id holds a lone UTF-16 surrogate, on %s', (provider) => {
  const database = useTestDatabase(provider);
  let admin: Admin;
  let app: App;
  let application: { publicId: string; privateKey: string };

  beforeAll(async () => {
    admin = createAdmin(database().prisma);
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: 1000 });
    // A small failure budget per address, so that counting shows within a few requests.
    const throttle = createFailureThrottle({ failureLimit: 3 });
    app = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle }, true);
    application = await admin.createApplication({ name: 'surrogate' });
    await admin.install(application.publicId, COMPANY);
  });

  it('positive control: the right pair logs in, an unknown plain id is 401', async () => {
    const ok = await login(app, JSON.stringify({ id: application.publicId, secret: application.privateKey }), '10.0.0.1');
    expect(ok.status).toBe(200);
    const unknown = await login(app, JSON.stringify({ id: 'no-such-application', secret: 'y' }), '10.0.0.2');
    expect([unknown.status, unknown.body.code]).toEqual([401, 'invalid_credentials']);
  });

  it('answers 401 invalid_credentials, not 503 store_unavailable, to {"id":"x\\ud800","secret":"y"}', async () => {
    // JSON allows a lone surrogate escape; JSON.parse keeps it in the string, the store then fails on it.
    const response = await login(app, '{"id":"x\\ud800","secret":"y"}', '10.0.0.3');
    expect([response.status, response.body.code]).toEqual([401, 'invalid_credentials']);
  });

  it('counts such logins against the address’s failure budget (429 once it is spent)', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      statuses.push((await login(app, `{"id":"x\\ud800${attempt}","secret":"y"}`, '10.0.0.4')).status);
    }
    // failureLimit 3: the fourth attempt from the same address, at the latest, is refused by the throttle.
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});

describe.each(testProviders())('allowed IPs on the token routes, on %s', (provider) => {
  const database = useTestDatabase(provider);
  let admin: Admin;
  let app: App;
  let application: { publicId: string; privateKey: string };
  let pair: { value: string; refresh: string };

  beforeAll(async () => {
    admin = createAdmin(database().prisma);
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: 1000 });
    app = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle: false }, true);
    application = await admin.createApplication({ name: 'restricted', privileges: ['read:messages'], allowedIps: ['10.0.0.0/8'] });
    await admin.install(application.publicId, COMPANY, { grant: ['read:messages'] });
    const response = await login(app, JSON.stringify({ id: application.publicId, secret: application.privateKey }), ALLOWED);
    expect(response.status).toBe(200);
    pair = response.body.resource.access_token;
  });

  it('positive control: a call from an allowed address passes, from elsewhere it is 403 ip_not_allowed', async () => {
    const path = `/api/messages/v1/companies/${COMPANY}/threads`;
    const allowed = await request(app).get(path).set('X-Forwarded-For', ALLOWED).set('Authorization', `Bearer ${pair.value}`);
    expect(allowed.status).toBe(200);
    const elsewhere = await request(app).get(path).set('X-Forwarded-For', ELSEWHERE).set('Authorization', `Bearer ${pair.value}`);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([403, 'ip_not_allowed']);
  });

  it('refuses the login from an address the application does not allow (403 ip_not_allowed), issuing no token', async () => {
    const response = await login(app, JSON.stringify({ id: application.publicId, secret: application.privateKey }), ELSEWHERE);
    expect([response.status, response.body.code]).toEqual([403, 'ip_not_allowed']);
    expect(JSON.stringify(response.body)).not.toContain('access_token');
  });

  it('refuses the renewal from an address the application does not allow', async () => {
    const response = await request(app).post('/api/console/v1/token').set('X-Forwarded-For', ELSEWHERE).set('Authorization', `Bearer ${pair.refresh}`);
    expect([response.status, response.body.code]).toEqual([403, 'ip_not_allowed']);
  });

  it('refuses /me from an address the application does not allow', async () => {
    const response = await request(app).get('/api/console/v1/me').set('X-Forwarded-For', ELSEWHERE).set('Authorization', `Bearer ${pair.value}`);
    expect([response.status, response.body.code]).toEqual([403, 'ip_not_allowed']);
  });
});

// Twake's Node backend routes with fastify (find-my-way), whose router ends the path at the first `;`
// as it does at `?` and `#` (`/foo;jsessionid=…`): POST …/messages/m/delete;x reaches the delete route there.
describe.each(testProviders())('a `;` after a scoped route segment, on %s', (provider) => {
  const database = useTestDatabase(provider);
  let app: App;
  let token: string;
  const message = `/api/messages/v1/companies/${COMPANY}/threads/t/messages/m`;

  beforeAll(async () => {
    const admin = createAdmin(database().prisma);
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: 1000 });
    app = tokenApp({ store, mode: 'development', tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle: false }, true);
    // May write messages, may not delete them.
    const application = await admin.createApplication({ name: 'writer', capabilities: ['write:messages', 'delete:messages'] });
    await admin.install(application.publicId, COMPANY, { grant: ['write:messages'] });
    const response = await login(app, JSON.stringify({ id: application.publicId, secret: application.privateKey }));
    expect(response.status).toBe(200);
    token = response.body.resource.access_token.value;
  });

  it('positive control: a write passes, POST …/delete is 403 missing_capability delete:messages', async () => {
    const write = await request(app).post(`${message}/reactions`).set('Authorization', `Bearer ${token}`).send({});
    expect(write.status).toBe(200);
    const del = await request(app).post(`${message}/delete`).set('Authorization', `Bearer ${token}`).send({});
    expect([del.status, del.body.code]).toEqual([403, 'missing_capability']);
  });

  it.each(['delete;x', 'delete;', 'deletelink;jsessionid=1'])('refuses POST …/messages/m/%s as the delete it is to Twake’s router', async (last) => {
    const response = await request(app).post(`${message}/${last}`).set('Authorization', `Bearer ${token}`).send({});
    expect([response.status, response.body.code]).toEqual([403, 'missing_capability']);
  });
});

// The same request behind nginx: forward-auth reads the original URI, which nginx passes as sent.
describe.each(testProviders())('a `;` after a scoped route segment at forward-auth, on %s', (provider) => {
  const database = useTestDatabase(provider);
  let app: App;
  let token: string;
  const message = `/api/messages/v1/companies/${COMPANY}/threads/t/messages/m`;
  const verify = (uri: string) =>
    request(app).get('/auth/verify').set('X-Original-URI', uri).set('X-Original-Method', 'POST').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    const admin = createAdmin(database().prisma);
    const store = createCachedStore(createPrismaStore(database().prisma), { ttlMs: 1000 });
    const options = { store, mode: 'development' as const, tokens: { secret: SECRET }, nodeRoutes: twakeNodeRoutes, throttle: false as const };
    app = express();
    app.post('/api/console/v1/login', twakeAppLogin(options));
    app.get('/auth/verify', forwardAuth(options));
    app.use(twakeAuthErrorHandler());
    const application = await admin.createApplication({ name: 'writer', capabilities: ['write:messages', 'delete:messages'] });
    await admin.install(application.publicId, COMPANY, { grant: ['write:messages'] });
    const response = await login(app, JSON.stringify({ id: application.publicId, secret: application.privateKey }));
    expect(response.status).toBe(200);
    token = response.body.resource.access_token.value;
  });

  it('positive control: POST …/reactions passes (204), POST …/delete is 403 missing_capability', async () => {
    expect((await verify(`${message}/reactions`)).status).toBe(204);
    const del = await verify(`${message}/delete`);
    expect([del.status, del.body.code]).toEqual([403, 'missing_capability']);
  });

  it('refuses POST …/messages/m/delete;x (Twake’s router acts on …/delete)', async () => {
    const response = await verify(`${message}/delete;x`);
    expect([response.status, response.body.code]).toEqual([403, 'missing_capability']);
  });
});
