// The standalone server on Node's own HTTP server, driven with requests Express's router used to absorb.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';
import { rawRequest } from '../helpers/raw-http';
import { basic } from '../helpers/create-server';

describe('standalone server: request targets node:url refuses to parse', () => {
  let started: ServerWithApp;

  beforeAll(async () => {
    started = await startServerWithApp('sqlite', { name: 'Unparsable targets' });
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
});
