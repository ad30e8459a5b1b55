// Capabilities, privileges and allowed IPs through the middleware, the route table, requireCapabilities/requirePrivileges and forward-auth.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, requireCapabilities, requirePrivileges, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { forwardAuth } from '../../src/express/forward-auth';
import { basicAuthorization } from '../../src/testing';
import { expectProblem } from '../helpers/expect-problem';

const KEY = 'k'.repeat(40);
const AUTH = basicAuthorization('bot', KEY);

function store(allowedIps?: string[]): MemoryStore {
  const memory = new MemoryStore();
  memory.add({
    publicId: 'bot',
    keys: [{ privateKey: KEY }],
    companies: ['none', 'all'],
    grants: { all: { capabilities: [...TWAKE_CAPABILITIES], privileges: [...TWAKE_PRIVILEGES] } },
    allowedIps,
  });
  return memory;
}

function v1App(memory: MemoryStore) {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use('/api/v1', twakeAppAuth({ store: memory, mode: 'development', routes: twakeV1Routes }));
  app.all('/api/v1/*path', (req, res) => res.json({ capabilities: req.twake?.capabilities, privileges: req.twake?.privileges }));
  app.use(twakeAuthErrorHandler());
  return app;
}

describe('the v1 route table (middleware, routes: twakeV1Routes)', () => {
  const app = v1App(store());

  it.each(Object.entries(twakeV1Routes))('%s: refused without its grants, naming what is missing; through with them', async (route, requirement) => {
    const refused = await request(app).post(`/api/v1/${route}`).set('Authorization', AUTH).send({ group_id: 'none' });
    const code = requirement.capabilities.length > 0 ? 'missing_capability' : 'missing_privilege';
    expectProblem(refused, 403, code);
    expect(refused.body.missing).toEqual(requirement.capabilities.length > 0 ? requirement.capabilities : requirement.privileges);
    expect(refused.body.twake_error).toBe(`you_do_not_have_this_set_of_required_${code === 'missing_capability' ? 'capabilities' : 'privileges'}`);
    const through = await request(app).post(`/api/v1/${route}`).set('Authorization', AUTH).send({ group_id: 'all' });
    expect(through.status).toBe(200);
    expect(through.body.capabilities).toEqual([...TWAKE_CAPABILITIES]);
  });

  it.each(['/api/v1/Messages/Save', '/api/v1/messages/save/', '/api/v1/messages/%73ave'])('requires messages_save for the spelling %s too (Express routes ignore case)', async (path) => {
    expectProblem(await request(app).post(path).set('Authorization', AUTH).send({ group_id: 'none' }), 403, 'missing_capability');
  });

  it('lets routes outside the table through with a key and an installation only', async () => {
    expect((await request(app).post('/api/v1/some/other/route').set('Authorization', AUTH).send({ group_id: 'none' })).status).toBe(200);
  });

  it('never says what is missing before the key is verified', async () => {
    const wrong = await request(app).post('/api/v1/messages/save').set('Authorization', basicAuthorization('bot', 'nope')).send({ group_id: 'none' });
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(wrong.body.missing).toBeUndefined();
  });
});

describe('the route table with the middleware mounted at the root', () => {
  const app = express();
  app.use(twakeAppAuth({ store: store(), mode: 'development', routes: twakeV1Routes }));
  app.all('/*path', (_req, res) => res.send('through'));
  app.use(twakeAuthErrorHandler());

  it.each(['/messages/save', '/api/v1/messages/save', '/Messages/Save/'])('requires messages_save for %s', async (path) => {
    expectProblem(await request(app).post(path).set('Authorization', AUTH).send({ group_id: 'none' }), 403, 'missing_capability');
    expect((await request(app).post(path).set('Authorization', AUTH).send({ group_id: 'all' })).status).toBe(200);
  });
});

describe('requireCapabilities / requirePrivileges', () => {
  const memory = new MemoryStore();
  memory.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['c'], grants: { c: { capabilities: ['messages_save'], privileges: ['channels'] } } });
  const app = express();
  app.use(twakeAppAuth({ store: memory, mode: 'development' }));
  app.get('/save', requireCapabilities('messages_save'), (_req, res) => res.send('saved'));
  app.get('/remove', requireCapabilities('messages_save', 'messages_remove'), (_req, res) => res.send('removed'));
  app.get('/channels', requirePrivileges('channels'), (_req, res) => res.send('channels'));
  app.get('/drive', requirePrivileges('workspace_drive', 'drive_list'), (_req, res) => res.send('drive'));

  it('lets granted routes through and refuses the others listing only what is missing', async () => {
    expect((await request(app).get('/save?group_id=c').set('Authorization', AUTH)).status).toBe(200);
    expect((await request(app).get('/channels?group_id=c').set('Authorization', AUTH)).status).toBe(200);
    const remove = await request(app).get('/remove?group_id=c').set('Authorization', AUTH);
    expectProblem(remove, 403, 'missing_capability');
    expect(remove.body.missing).toEqual(['messages_remove']);
    const drive = await request(app).get('/drive?group_id=c').set('Authorization', AUTH);
    expectProblem(drive, 403, 'missing_privilege');
    expect(drive.body.missing).toEqual(['workspace_drive', 'drive_list']);
  });

  it('refuses to be built without names, and passes a mounting mistake to next(err)', async () => {
    expect(() => requireCapabilities()).toThrow(TypeError);
    const bare = express();
    bare.get('/', requirePrivileges('channels'), (_req, res) => res.send('never'));
    bare.use(((error, _req, res, _next) => res.status(500).json({ type: (error as Error).name })) as express.ErrorRequestHandler);
    expect((await request(bare).get('/')).body).toEqual({ type: 'TypeError' });
  });
});

describe('allowed IPs', () => {
  const app = v1App(store(['10.0.0.0/8', '2001:db8::/32']));

  it.each([
    ['10.1.2.3', 200],
    ['2001:db8::7', 200],
    ['192.168.0.1', 403],
    ['2001:db9::1', 403],
  ])('from %s → %d (client address as trust proxy resolves it)', async (ip, status) => {
    const answer = await request(app).get('/api/v1/auth/test?group_id=all').set('Authorization', AUTH).set('X-Forwarded-For', ip);
    expect(answer.status).toBe(status);
    if (status === 403) {
      expectProblem(answer, 403, 'ip_not_allowed');
      expect(answer.body.twake_error).toBe('ip_not_allowed');
    }
  });

  it('judges the socket address when the proxy is not trusted (a forged X-Forwarded-For does not help)', async () => {
    const untrusting = express();
    untrusting.use(twakeAppAuth({ store: store(['10.0.0.0/8']), mode: 'development' }));
    untrusting.get('/', (_req, res) => res.send('through'));
    const answer = await request(untrusting).get('/?group_id=all').set('Authorization', AUTH).set('X-Forwarded-For', '10.1.2.3');
    expectProblem(answer, 403, 'ip_not_allowed');
  });

  it('is checked after the key: a wrong key from a refused address is still a 401', async () => {
    const answer = await request(app).get('/api/v1/auth/test?group_id=all').set('Authorization', basicAuthorization('bot', 'nope')).set('X-Forwarded-For', '192.168.0.1');
    expectProblem(answer, 401, 'invalid_credentials');
  });
});

describe('forward-auth with the v1 table', () => {
  const app = express();
  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store: store(), mode: 'development', routes: twakeV1Routes }));
  app.use(twakeAuthErrorHandler());

  it('takes the requirement from the original URI and answers the grants in headers', async () => {
    const refused = await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Original-URI', '/api/v1/messages/save?group_id=none');
    expectProblem(refused, 403, 'missing_capability');
    const through = await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Forwarded-Uri', '/api/v1/messages/save?group_id=all');
    expect(through.status).toBe(204);
    expect(through.headers['x-twake-capabilities']).toBe(TWAKE_CAPABILITIES.join(','));
    expect(through.headers['x-twake-privileges']).toBe(TWAKE_PRIVILEGES.join(','));
  });

  it('takes it from its own path (Envoy appends the original path), and from every URI sent', async () => {
    expectProblem(await request(app).get('/auth/verify/api/v1/drive/list?group_id=none').set('Authorization', AUTH), 403, 'missing_privilege');
    // A harmless original URI does not hide a protected own path.
    expectProblem(await request(app).get('/auth/verify/api/v1/drive/list?group_id=none').set('Authorization', AUTH).set('X-Original-URI', '/api/v1/auth/test?group_id=none'), 403, 'missing_privilege');
  });

  it.each([
    '/api/v1/messages/save#x?group_id=none',
    '/api/v1/messages/save;jsessionid=1?group_id=none',
    '/api/v1/messages/x/../save?group_id=none',
    '/api/v1/messages/./save?group_id=none',
    '/api/./v1/messages/save?group_id=none',
    '/api//v1/messages/save?group_id=none',
    '/api/v1/messages/save%2e?group_id=none',
    '/api/v1/messages/save%20?group_id=none',
    '/api/v1/messages\\save?group_id=none',
    '/API/V1/MESSAGES/SAVE?group_id=none',
  ])('finds the requirement in the original URI %s (a spelling a proxy or router may read as messages/save)', async (uri) => {
    const answer = await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Twake-Group-Id', 'none').set('X-Original-URI', uri);
    expectProblem(answer, 403, 'missing_capability');
  });

  it('finds it in its own path with a fragment too (Envoy style)', async () => {
    const answer = await request(app).get('/auth/verify/api/v1/messages/save').set('Authorization', AUTH).set('X-Twake-Group-Id', 'none');
    expectProblem(answer, 403, 'missing_capability');
  });

  it('leaves paths outside /api/v1/ to the key and the installation', async () => {
    expect((await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Original-URI', '/messages/save?group_id=none')).status).toBe(204);
  });
});
