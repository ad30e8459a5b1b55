// The standalone server on Node's own HTTP server, driven with requests Express's router used to absorb.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';
import { rawRequest } from '../helpers/raw-http';
import { basic } from '../helpers/create-server';

describe('standalone server on Node\'s HTTP server, against the Express app it replaced', () => {
  let started: ServerWithApp;

  beforeAll(async () => {
    // Token routes on too (a POST-only and a GET-only route of their own).
    started = await startServerWithApp('sqlite', { name: 'Node server findings', serverEnv: { JWT_SECRET: 'an-adversarial-round-secret-of-32-bytes-or-more' } });
  });

  afterAll(async () => {
    await started?.stop();
  });

  // parseurl throws ERR_INVALID_URL for an absolute-form target with an unclosed IPv6 bracket. Express's
  // router caught it and answered 404; reading req.path in the request listener stopped the process.
  it.each(['http://[::1/healthz', 'http://[::1/auth/verify', 'http://[/api/v1/auth/test?group_id=acme'])('%s: 404, and the server keeps serving', async (target) => {
    const authorization = basic(started.app.publicId, started.app.privateKey);
    expect(await rawRequest(started.server.port, target, { Authorization: authorization, 'X-Original-URI': '/x?group_id=acme' })).toBe(404);
    expect(started.server.child.exitCode).toBeNull();
    expect(await rawRequest(started.server.port, '/api/v1/auth/test?group_id=acme', { Authorization: authorization })).toBe(200);
    expect(started.server.logs.join('\n')).not.toContain('ERR_INVALID_URL');
  });

  // The Express app's catch-all 404 answered OPTIONS before Express's automatic OPTIONS answer could: a
  // route that does not take OPTIONS is a 404 problem, not a 200 listing methods.
  it.each(['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json', '/api/console/v1/login', '/api/console/v1/me'])('OPTIONS %s: 404 as before, no Allow', async (path) => {
    const answer = await fetch(`${started.server.url}${path}`, { method: 'OPTIONS' });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('allow')).toBeNull();
    expect(await answer.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});
