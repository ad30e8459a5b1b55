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

const TARGETS = [
  '/api/v1/messages/save',
  'http://h/api/v1/messages/save',
  'http://x%2fapi%2fv1%2fy@h/api/v1/messages/save',
  'http://x%5capi%5cv1%5cy@h/api/v1/messages/save',
  'HTTPS://x%2Fapi%2Fv1%2F@h/api/v1/messages/save',
  'http://x%2fapi%2fv1%2fy@h:80/api/v1/./messages/save',
];

describe.each([
  ['Express 5', () => express5()],
  ['Express 4', () => express4() as unknown as ReturnType<typeof express5>],
])('absolute-form targets, middleware mounted at /api (%s)', (_name, makeApp) => {
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
