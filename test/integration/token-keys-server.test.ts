// The server with JWT_SIGNING=keys: tokens signed with the assertion key pairs, verifiable by anyone with
// the published key set, accepted at forward-auth; and its JWT_* settings refused when inconsistent.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { readServerConfig } from '../../server/src/server/server-config';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

describe('JWT_* settings', () => {
  it('should turn tokens on with a secret or the key pairs, and say what is wrong otherwise', () => {
    const secret = 'a-jwt-secret-shared-with-twake-of-32-bytes-or-more';
    expect(readServerConfig({}).tokens).toBeNull();
    expect(readServerConfig({ JWT_SECRET: secret }).tokens).toEqual({ signing: 'secret', secret, accessTtlSeconds: 3600, refreshTtlSeconds: 2_592_000 });
    expect(readServerConfig({ JWT_SIGNING: 'keys', JWT_EXPIRATION: '600' }).tokens).toEqual({ signing: 'keys', secret: null, accessTtlSeconds: 600, refreshTtlSeconds: 2_592_000 });
    expect(readServerConfig({ JWT_SECRET: secret, JWT_SIGNING: 'off' }).tokens).toBeNull();
    expect(() => readServerConfig({ JWT_SECRET: 'supersecret' })).toThrow(/JWT_SECRET must be at least 32 bytes/);
    expect(() => readServerConfig({ JWT_SIGNING: 'secret' })).toThrow(/needs JWT_SECRET/);
    expect(() => readServerConfig({ JWT_SIGNING: 'keys', ASSERTION_SECRET: secret })).toThrow(/unset ASSERTION_SECRET/);
    expect(() => readServerConfig({ JWT_SIGNING: 'rsa' })).toThrow(/JWT_SIGNING must be/);
    expect(() => readServerConfig({ JWT_SECRET: secret, JWT_REFRESH_EXPIRATION: '0' })).toThrow(/JWT_REFRESH_EXPIRATION/);
  });
});

describe('the server with JWT_SIGNING=keys', () => {
  let started: ServerWithApp;

  beforeAll(async () => {
    started = await startServerWithApp('sqlite', { name: 'Keys app', createArgs: ['--privileges', 'read:messages'], serverEnv: { JWT_SIGNING: 'keys' } });
  }, 60_000);

  afterAll(async () => {
    await started?.stop();
  });

  it('issues tokens that verify against /.well-known/jwks.json and pass forward-auth on a company path', async () => {
    const login = await fetch(`${started.server.url}/api/console/v1/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: started.app.publicId, secret: started.app.privateKey }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { resource: { access_token: { value: string } } }).resource.access_token.value;
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${started.server.url}/.well-known/jwks.json`)));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: started.app.publicId, application_id: started.app.publicId, type: 'access' });
    const verify = (path: string) => fetch(`${started.server.url}/auth/verify`, { headers: { Authorization: `Bearer ${token}`, 'X-Original-URI': path } });
    const passed = await verify('/api/messages/v1/companies/acme/threads/t/messages');
    expect(passed.status).toBe(204);
    expect(passed.headers.get('x-twake-company-id')).toBe('acme');
    expect(passed.headers.get('x-twake-assertion')).toEqual(expect.any(String));
    expect((await verify('/api/messages/v1/companies/other/threads')).status).toBe(403);
  });
});
