// Regression: an absolute-form request target (`GET http://user@host/api/v1/… HTTP/1.1`, RFC 9112 §3.2.2)
// escaped the route table of a middleware mounted at /api: a `%2f` in the user-info made the full path name
// another route, while Express routed by the path alone and ran the handler. Real Express 4 and 5 over
// real sockets (Node passes such targets on as they came).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import express4 from 'express4';
import express5 from 'express';
import { MemoryStore, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { basicAuthorization } from '../../src/testing';
import { rawRequest } from '../helpers/raw-http';
import { listenOnFreePort } from '../helpers/listen';

// Both majors, each building an app typed as Express 5's.
const EXPRESS_VERSIONS: Array<[string, () => ReturnType<typeof express5>]> = [
  ['Express 5', () => express5()],
  ['Express 4', () => express4() as unknown as ReturnType<typeof express5>],
];

const TARGETS = [
  '/api/v1/messages/save',
  'http://h/api/v1/messages/save',
  'http://x%2fapi%2fv1%2fy@h/api/v1/messages/save',
  'http://x%5capi%5cv1%5cy@h/api/v1/messages/save',
  'HTTPS://x%2Fapi%2Fv1%2F@h/api/v1/messages/save',
  'http://x%2fapi%2fv1%2fy@h:80/api/v1/./messages/save',
];

describe.each(EXPRESS_VERSIONS)('absolute-form targets, middleware mounted at /api (%s)', (_name, makeApp) => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    const store = new MemoryStore();
    // Installed, granted nothing: messages/save must be refused with missing_capability.
    store.add({ publicId: 'app', keys: [{ privateKey: 'twk_key' }], companies: ['acme'] });
    const app = makeApp();
    app.use('/api', twakeAppAuth({ store, mode: 'development', routes: twakeV1Routes }));
    app.all('/api/v1/messages/save', (_req, res) => void res.json({ reached: true }));
    app.use(twakeAuthErrorHandler());
    ({ server, port } = await listenOnFreePort(app));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // rawRequest sends a GET: the route table finds messages/save (POST only) and refuses it with 405.
  it.each(TARGETS)('%s is refused 405 (the table found messages/save), never reaches the handler', async (target) => {
    expect(await rawRequest(port, `${target}?group_id=acme`, { Authorization: basicAuthorization('app', 'twk_key') })).toBe(405);
  });
});

// Regression: the company of a Node-era path was read from the whole absolute-form target, scheme and
// authority included, so `GET http://h/api/v1/companies/B/x?group_id=A` passed as company A while Express
// routed /api/v1/companies/B/x and the handler read B from req.params. A raw backslash in the company
// segment (`/companies/A\B/`) did the same: read as a slash, while Express keeps it in the parameter.
describe.each(EXPRESS_VERSIONS)('the company of a path in absolute form or with a backslash, middleware mounted at /api/v1 (%s)', (_name, makeApp) => {
  let server: Server;
  let port = 0;
  const authorization = { Authorization: basicAuthorization('app', 'twk_key') };

  beforeAll(async () => {
    const store = new MemoryStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'twk_key' }], companies: ['A', 'B'] });
    const app = makeApp();
    app.use('/api/v1', twakeAppAuth({ store, mode: 'development' }));
    const router = express5.Router();
    router.all('/companies/:company_id/x', (_req, res) => void res.json({ reached: true }));
    app.use('/api/v1', router);
    app.use(twakeAuthErrorHandler());
    ({ server, port } = await listenOnFreePort(app));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(['/api/v1/companies/B/x?group_id=A', 'http://h/api/v1/companies/B/x?group_id=A', 'http://u@h:80/api/v1/companies/B/x?group_id=A', '/api/v1/companies/A\\B/x?group_id=A', 'http://h/api/v1/companies/A\\B/x?group_id=A'])(
    '%s is refused 400, never reaches the handler',
    async (target) => {
      expect(await rawRequest(port, target, authorization)).toBe(400);
    },
  );

  it.each(['/api/v1/companies/B/x?group_id=B', 'http://h/api/v1/companies/B/x?group_id=B'])('%s, where both name B, goes through', async (target) => {
    expect(await rawRequest(port, target, authorization)).toBe(200);
  });
});
