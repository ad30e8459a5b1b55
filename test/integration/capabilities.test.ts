// Capabilities, privileges and allowed IPs through the middleware, the route table, requireCapabilities/requirePrivileges and forward-auth.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, requireCapabilities, requirePrivileges, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { forwardAuth } from '../../src/proxy/forward-auth';
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

  // Each row as read in twake/backend/core/src/DevelopersApiV1/<file> (the controller's $capabilities /
  // $privileges handed to getAppFromRequest; Routing.php lists POST alone for every route), written out
  // here rather than taken from twakeV1Routes, so that the table is checked against Twake, not itself.
  const TWAKE_V1: ReadonlyArray<readonly [route: string, file: string, capabilities: string[], privileges: string[]]> = [
    ['messages/save', 'Messages/Controller/Message.php saveMessage', ['messages_save'], []],
    ['messages/remove', 'Messages/Controller/Message.php removeMessage', [], []],
    ['general/configure', 'General/Controller/General.php configure', ['display_modal'], []],
    ['general/configure_close', 'General/Controller/General.php closeConfigure', [], []],
    ['drive/save', 'Drive/Controller/Drive.php save', ['drive_save'], []],
    ['drive/remove', 'Drive/Controller/Drive.php remove', ['drive_remove'], []],
    ['drive/list', 'Drive/Controller/Drive.php getList', [], ['drive_list']],
    ['drive/find', 'Drive/Controller/Drive.php find', [], ['workspace_drive']],
    ['drive/download', 'Drive/Controller/Drive.php download', [], ['workspace_drive']],
    ['calendar/event/save', 'Calendar/Controller/Calendar.php saveEvent', ['calendar_event_save'], []],
    ['calendar/event/remove', 'Calendar/Controller/Calendar.php removeEvent', ['calendar_event_remove'], []],
    ['calendar/get_calendars', 'Calendar/Controller/Calendar.php getCalendarList', [], ['workspace_calendar']],
    ['tasks/task/save', 'Tasks/Controller/Tasks.php saveTask', ['tasks_task_save'], []],
    ['tasks/task/remove', 'Tasks/Controller/Tasks.php removeTask', ['tasks_task_remove'], []],
    ['tasks/get_boards', 'Tasks/Controller/Tasks.php getBoardList', [], ['workspace_tasks']],
    ['tasks/task/get', 'Tasks/Controller/Tasks.php getTasksInBoard', [], ['workspace_tasks']],
    ['tasks/task/get_lists', 'Tasks/Controller/Tasks.php getListsInBoard', [], ['workspace_tasks']],
    ['channels/get_by_workspace', 'Channels/Controller/Channel.php getChannelsByWorkspace', [], ['channels']],
    ['channels/get_direct_channel', 'Channels/Controller/Channel.php getDirectChannel', [], []],
    ['users/get', 'Users/Controller/Users.php getAction', [], []],
  ];

  it('holds exactly the routes of Twake that check the application', () => {
    expect(Object.keys(twakeV1Routes).sort()).toEqual(TWAKE_V1.map(([route]) => route).sort());
  });

  it.each(TWAKE_V1)('%s (%s): POST needs %j and %j, nothing more', async (route, _file, capabilities, privileges) => {
    expect(twakeV1Routes[route]).toEqual({ capabilities, privileges, methods: ['POST'] });
    // Installed in `none` with nothing granted: refused naming what is missing, or through when Twake asked nothing.
    const bare = await request(app).post(`/api/v1/${route}`).set('Authorization', AUTH).send({ group_id: 'none' });
    if (capabilities.length > 0 || privileges.length > 0) {
      const code = capabilities.length > 0 ? 'missing_capability' : 'missing_privilege';
      expectProblem(bare, 403, code);
      expect(bare.body.missing).toEqual(capabilities.length > 0 ? capabilities : privileges);
      expect(bare.body.error).toBe(`you_do_not_have_this_set_of_required_${code === 'missing_capability' ? 'capabilities' : 'privileges'}`);
    } else {
      expect(bare.status).toBe(200);
    }
    // Granted exactly what the row names (nothing else): through.
    const exact = new MemoryStore();
    exact.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['c'], grants: { c: { capabilities, privileges } } });
    expect((await request(v1App(exact)).post(`/api/v1/${route}`).set('Authorization', AUTH).send({ group_id: 'c' })).status).toBe(200);
  });

  it.each(TWAKE_V1.map(([route]) => route))('%s: refuses GET (Twake routed POST only) with 405 and Allow: POST, before the credentials', async (route) => {
    for (const authorization of [AUTH, basicAuthorization('bot', 'nope')]) {
      const answer = await request(app).get(`/api/v1/${route}?group_id=all`).set('Authorization', authorization);
      expectProblem(answer, 405, 'method_not_allowed');
      expect(answer.headers.allow).toBe('POST');
      expect(answer.body.error).toBe('method_not_allowed');
    }
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])('refuses %s on a POST-only route too (HEAD is not read as GET, nor anything as POST)', async (method) => {
    const answer = await request(app)[method.toLowerCase() as 'put'](`/api/v1/messages/remove?group_id=all`).set('Authorization', AUTH);
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
  });

  it.each(['/api/v1/Messages/Remove', '/api/v1/messages/remove/', '/api/v1/messages/%72emove', '/api/v1/x/../messages/remove'])('refuses GET on the spelling %s too', async (path) => {
    expectProblem(await request(app).get(`${path}?group_id=all`).set('Authorization', AUTH), 405, 'method_not_allowed');
  });

  it('judges the transport before the method: a GET over plain HTTP outside development mode is 403 https_required', async () => {
    const production = express();
    production.use('/api/v1', twakeAppAuth({ store: store(), mode: 'production', routes: twakeV1Routes }));
    production.all('/api/v1/*path', (_req, res) => res.send('never'));
    production.use(twakeAuthErrorHandler());
    expectProblem(await request(production).get('/api/v1/messages/remove?group_id=all').set('Authorization', AUTH), 403, 'https_required');
  });

  it('still revokes a key seen in clear on a method the route does not take', async () => {
    const revoked: string[] = [];
    const production = express();
    const memory = store();
    const revoking = { findApplication: (publicId: string, companyId: string | null) => memory.findApplication(publicId, companyId), revokeKey: () => Promise.resolve(true) };
    production.use('/api/v1', twakeAppAuth({ store: revoking, mode: 'production', routes: twakeV1Routes, revokeKeysSeenInCleartext: true, onCleartextKeyRevoked: (event) => revoked.push(event.publicId) }));
    production.use(twakeAuthErrorHandler());
    expectProblem(await request(production).get('/api/v1/messages/remove?group_id=all').set('Authorization', AUTH), 403, 'https_required');
    for (let wait = 0; wait < 50 && revoked.length === 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(revoked).toEqual(['bot']);
  });

  it('lets a real Jitsi messages/remove call through with no capability granted (Twake asked none)', async () => {
    const answer = await request(app).post('/api/v1/messages/remove').set('Authorization', AUTH).send({ group_id: 'none', message: { id: 'm1' } });
    expect(answer.status).toBe(200);
  });

  it('takes any method on routes outside the table', async () => {
    expect((await request(app).get('/api/v1/some/other/route?group_id=none').set('Authorization', AUTH)).status).toBe(200);
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
    const refused = await request(app).post('/auth/verify').set('Authorization', AUTH).set('X-Original-URI', '/api/v1/messages/save?group_id=none');
    expectProblem(refused, 403, 'missing_capability');
    const through = await request(app).post('/auth/verify').set('Authorization', AUTH).set('X-Forwarded-Uri', '/api/v1/messages/save?group_id=all');
    expect(through.status).toBe(204);
    expect(through.headers['x-twake-capabilities']).toBe(TWAKE_CAPABILITIES.join(','));
    expect(through.headers['x-twake-privileges']).toBe(TWAKE_PRIVILEGES.join(','));
  });

  it('takes it from its own path (Envoy appends the original path), and from every URI sent', async () => {
    expectProblem(await request(app).post('/auth/verify/api/v1/drive/list?group_id=none').set('Authorization', AUTH), 403, 'missing_privilege');
    // A harmless original URI does not hide a protected own path.
    expectProblem(await request(app).post('/auth/verify/api/v1/drive/list?group_id=none').set('Authorization', AUTH).set('X-Original-URI', '/api/v1/auth/test?group_id=none'), 403, 'missing_privilege');
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
    const answer = await request(app).post('/auth/verify').set('Authorization', AUTH).set('X-Twake-Group-Id', 'none').set('X-Original-URI', uri);
    expectProblem(answer, 403, 'missing_capability');
  });

  it('finds it in its own path with a fragment too (Envoy style)', async () => {
    const answer = await request(app).post('/auth/verify/api/v1/messages/save').set('Authorization', AUTH).set('X-Twake-Group-Id', 'none');
    expectProblem(answer, 403, 'missing_capability');
  });

  it.each([
    ['X-Original-Method', 'GET'],
    ['X-Forwarded-Method', 'GET'],
    ['X-Original-Method', 'DELETE'],
  ])('refuses the original method %s: %s on a POST-only route with 405 and Allow (nginx and Traefik send it apart)', async (header, method) => {
    const answer = await request(app).get('/auth/verify').set('Authorization', AUTH).set(header, method).set('X-Original-URI', '/api/v1/drive/find?group_id=all');
    expectProblem(answer, 405, 'method_not_allowed');
    expect(answer.headers.allow).toBe('POST');
  });

  it('judges the original method, not the subrequest\'s: a GET subrequest for a POST passes', async () => {
    const answer = await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Original-Method', 'POST').set('X-Original-URI', '/api/v1/drive/find?group_id=all');
    expect(answer.status).toBe(204);
  });

  it('refuses a GET subrequest that names no original method (Envoy sends the original one)', async () => {
    expectProblem(await request(app).get('/auth/verify/api/v1/drive/find?group_id=all').set('Authorization', AUTH), 405, 'method_not_allowed');
  });

  it('asks for the 405 as a 403 carrying the real status when nginx maps statuses', async () => {
    const answer = await request(app).get('/auth/verify').set('Authorization', AUTH).set('X-Original-Method', 'GET').set('X-Original-URI', '/api/v1/drive/find?group_id=all').set('X-Twake-Status-Mapping', 'auth-request');
    expect(answer.status).toBe(403);
    expect(answer.headers['x-twake-status']).toBe('405');
    expect(answer.headers.allow).toBe('POST');
    expect(JSON.parse(answer.headers['x-twake-problem'] as string)).toMatchObject({ status: 405, code: 'method_not_allowed', error: 'method_not_allowed' });
  });

  it('leaves paths outside /api/v1/ to the key and the installation', async () => {
    expect((await request(app).post('/auth/verify').set('Authorization', AUTH).set('X-Original-URI', '/messages/save?group_id=none')).status).toBe(204);
  });
});
