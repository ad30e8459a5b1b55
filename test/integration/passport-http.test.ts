// The same requests through the middleware, TwakeAppStrategy and passport-http's BasicStrategy with
// twakeBasicVerify, on Express 4 and 5: the same status for each; the parsing differences apart.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import request from 'supertest';
import { MemoryStore, twakeAuthErrorHandler, twakeBasicVerify, twakeV1Routes, type Options } from '../../src';
import { basic, createServer, type ServerVariant } from '../helpers/create-server';
import { eventually } from '../helpers/eventually';

const KEY = 'twk_passport_http_key';
const COLON_KEY = 'twk_with:a:colon';

function store(): MemoryStore {
  const memory = new MemoryStore();
  memory.add({ publicId: 'app', name: 'App', keys: [{ privateKey: KEY }], companies: ['acme'], grants: { acme: { privileges: ['channels'] } } });
  memory.add({ publicId: 'fenced', keys: [{ privateKey: KEY }], companies: ['acme'], allowedIps: ['10.0.0.0/8'] });
  memory.add({ publicId: 'colon', keys: [{ privateKey: COLON_KEY }], companies: ['acme'] });
  return memory;
}

type Case = { name: string; options?: Partial<Options>; send: (agent: ReturnType<typeof request>) => request.Test; status: number };

const cases: Case[] = [
  { name: 'good key', send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY)), status: 200 },
  { name: 'wrong key', send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', 'twk_wrong')), status: 401 },
  { name: 'unknown application', send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('nobody', KEY)), status: 401 },
  { name: 'no credentials', send: (agent) => agent.get('/api/v1/whoami?group_id=acme'), status: 401 },
  { name: 'another company', send: (agent) => agent.get('/api/v1/whoami?group_id=globex').set('Authorization', basic('app', KEY)), status: 403 },
  { name: 'no company', send: (agent) => agent.get('/api/v1/whoami').set('Authorization', basic('app', KEY)), status: 400 },
  {
    name: 'body and query disagree',
    send: (agent) => agent.post('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY)).send({ group_id: 'globex' }),
    status: 400,
  },
  { name: 'a route whose capability is not granted', options: { routes: twakeV1Routes }, send: (agent) => agent.post('/api/v1/messages/save?group_id=acme').set('Authorization', basic('app', KEY)), status: 403 },
  { name: 'a route whose privilege is granted', options: { routes: twakeV1Routes }, send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY)), status: 200 },
  { name: 'outside the allowed IPs', send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('fenced', KEY)), status: 403 },
  { name: 'plain HTTP in production', options: { mode: 'production' }, send: (agent) => agent.get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY)), status: 403 },
];

const variants: ServerVariant[] = [4, 5].flatMap((version) => (['middleware', 'passport', 'passport-http'] as const).map((integration) => ({ express: version as 4 | 5, integration })));

describe.each(cases)('$name', ({ options, send, status }) => {
  it.each(variants)('Express $express, $integration', async (variant) => {
    const app = createServer({ store: store(), ...options }, variant);
    const response = await send(request(app));
    expect(response.status).toBe(status);
    if (status !== 200) expect(response.body.code ?? 'passport-http').toEqual(expect.any(String));
  });
});

describe('twakeBasicVerify where passport-http reads the header differently', () => {
  const through = (integration: ServerVariant['integration']) => createServer({ store: store() }, { express: 5, integration });

  it('a key holding ":" passes the middleware but is refused through passport-http (it cuts the password at its second colon)', async () => {
    expect((await request(through('middleware')).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('colon', COLON_KEY))).status).toBe(200);
    const cut = await request(through('passport-http')).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('colon', COLON_KEY));
    expect(cut.status).toBe(401);
    expect(cut.body.code).toBe('invalid_credentials');
  });

  /** passport-http's own BasicStrategy with the verify function (not createTwakeBasicStrategy). */
  function plainBasicStrategy(options: Partial<Options>, callback?: (error: unknown, user: unknown) => void) {
    const app = express();
    const instance = new passport.Passport();
    instance.use(new BasicStrategy({ passReqToCallback: true }, twakeBasicVerify({ store: store(), mode: 'development', ...options })));
    app.use(instance.initialize());
    app.get('/api/v1/whoami', (req, res, next) => {
      const authenticate = callback === undefined ? instance.authenticate('basic', { session: false, failWithError: true }) : instance.authenticate('basic', { session: false }, callback);
      (authenticate as express.RequestHandler)(req, res, callback === undefined ? next : () => undefined);
    }, (req, res) => {
      res.json({ twake: req.twake });
    });
    app.use(twakeAuthErrorHandler());
    return app;
  }

  it('"Basic" with no credentials: the middleware and createTwakeBasicStrategy 401; a plain BasicStrategy 400 before the verify runs', async () => {
    expect((await request(through('middleware')).get('/api/v1/whoami?group_id=acme').set('Authorization', 'Basic')).status).toBe(401);
    expect((await request(through('passport-http')).get('/api/v1/whoami?group_id=acme').set('Authorization', 'Basic')).status).toBe(401);
    expect((await request(plainBasicStrategy({})).get('/api/v1/whoami?group_id=acme').set('Authorization', 'Basic')).status).toBe(400);
  });

  it('createTwakeBasicStrategy decides the headers passport-http refuses on its own: HTTPS check, revocation, throttle', async () => {
    const revoked: string[] = [];
    const twoSpaces = `Basic  ${Buffer.from(`app:${KEY}`).toString('base64')}`;
    // A MemoryStore that can revoke, as createPrismaStore can.
    const memory = Object.assign(store(), { revokeKey: async () => true });
    const production = createServer(
      { store: memory, mode: 'production', revokeKeysSeenInCleartext: true, onCleartextKeyRevoked: (event) => void revoked.push(event.publicId) },
      { express: 5, integration: 'passport-http' },
    );
    const cleartext = await request(production).get('/api/v1/whoami?group_id=acme').set('Authorization', twoSpaces);
    expect({ status: cleartext.status, code: cleartext.body.code }).toEqual({ status: 403, code: 'https_required' });
    await eventually(() => expect(revoked).toHaveLength(1));
    // The same header in development: decided as the middleware decides it.
    const ok = await request(createServer({ store: store() }, { express: 5, integration: 'passport-http' })).get('/api/v1/whoami?group_id=acme').set('Authorization', twoSpaces);
    const middleware = await request(through('middleware')).get('/api/v1/whoami?group_id=acme').set('Authorization', twoSpaces);
    expect(ok.status).toBe(middleware.status);
    // Failures passport-http would refuse itself count against the budget.
    const throttled = createServer({ store: store(), throttle: { failureLimit: 3 } }, { express: 5, integration: 'passport-http' });
    const statuses: number[] = [];
    for (const header of ['Basic', `Basic  ${Buffer.from('app:twk_wrong').toString('base64')}`, basic('app', ''), 'Basic', 'Basic']) {
      statuses.push((await request(throttled).get('/api/v1/whoami?group_id=acme').set('Authorization', header)).status);
    }
    expect(statuses).toContain(429);
  });

  it('a key holding ":" refused through passport-http is not reported as authenticated', async () => {
    const authenticated: string[] = [];
    const codes: string[] = [];
    const app = plainBasicStrategy({ onAuthenticated: (identity) => authenticated.push(identity.publicId), onDecision: (decision) => codes.push(decision.code) });
    expect((await request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('colon', COLON_KEY))).status).toBe(401);
    expect(authenticated).toEqual([]);
    expect(codes).not.toContain('ok');
  });

  it('without passReqToCallback: the package’s own message, and nothing let through', async () => {
    const verify = twakeBasicVerify({ store: store(), mode: 'development' }) as unknown as (userid: string, password: string, done: unknown) => void;
    expect(() => verify('app', KEY, () => undefined)).toThrow(/passReqToCallback: true/);
  });

  it('a custom callback that throws is called once, and its error reaches Express', async () => {
    let calls = 0;
    const app = plainBasicStrategy({}, () => {
      calls += 1;
      throw new Error('callback failed');
    });
    const response = await request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY));
    expect(calls).toBe(1);
    expect(response.status).toBe(500);
  });

  it('a scheme that only contains "Basic", or base64 with stray characters: passport-http reads them, the decision refuses (401 for both)', async () => {
    for (const header of [`XBasicX ${Buffer.from(`app:${KEY}`).toString('base64')}`, `Basic ${Buffer.from(`app:${KEY}`).toString('base64')}!!`]) {
      expect((await request(through('middleware')).get('/api/v1/whoami?group_id=acme').set('Authorization', header)).status).toBe(401);
      expect((await request(through('passport-http')).get('/api/v1/whoami?group_id=acme').set('Authorization', header)).status).toBe(401);
    }
  });

  it('on success sets req.twake and req.user; refusals other than credentials reach twakeAuthErrorHandler as problem bodies', async () => {
    const app = express();
    const instance = new passport.Passport();
    instance.use(new BasicStrategy({ passReqToCallback: true }, twakeBasicVerify({ store: store(), mode: 'development' })));
    app.use(instance.initialize());
    app.get('/api/v1/whoami', instance.authenticate('basic', { session: false }), (req, res) => {
      res.json({ twake: req.twake, user: req.user });
    });
    app.use(twakeAuthErrorHandler());
    const ok = await request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', KEY));
    expect(ok.status).toBe(200);
    expect(ok.body.twake).toMatchObject({ publicId: 'app', companyId: 'acme', privileges: ['channels'] });
    expect(ok.body.user).toEqual(ok.body.twake);
    const elsewhere = await request(app).get('/api/v1/whoami?group_id=globex').set('Authorization', basic('app', KEY));
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatchObject({ code: 'not_installed' });
    // A failure without failWithError: passport-http's own 401 and challenge.
    const wrong = await request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basic('app', 'twk_wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="Users"');
  });
});
