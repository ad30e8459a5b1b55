// Tokens shared with Twake's Node backend: ours verify with a plain JWT library (PyJWT) and the same
// secret, and a token shaped and signed as Twake's generateJWT signs it is accepted.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { createPrismaStore, twakeAppAuth, twakeAppLogin, twakeAuthErrorHandler } from '../../src';
import { createAdmin } from '../../src/admin/admin';
import { useTestDatabase } from '../helpers/use-test-database';

// Debian's python3-jwt is installed for the system Python, which a pyenv python3 on PATH would hide.
const PYTHON = '/usr/bin/python3';
const AVAILABLE = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import jwt'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!AVAILABLE && process.env.CI === 'true') throw new Error('PyJWT is required when CI=true (.ci/run installs python3-jwt)');
const describePython = AVAILABLE ? describe : describe.skip;

const SECRET = 'twake-auth-jwt-secret-shared-with-the-node-backend';

/** Runs `script` with PyJWT, the secret and the token as arguments; its standard output, trimmed. */
const python = (script: string, ...args: string[]): string => execFileSync(PYTHON, ['-c', script, SECRET, ...args], { encoding: 'utf8' }).trim();

// Verifies as Twake's fastify-jwt would: HS256 with the secret, exp and nbf checked.
const VERIFY = `
import sys, json, jwt
claims = jwt.decode(sys.argv[2], sys.argv[1], algorithms=["HS256"], options={"require": ["exp", "sub"]})
print(json.dumps(claims))
`;

// Signs as core/platform/services/auth/service.ts generateJWT does for an application (email null, no key named).
const SIGN_AS_TWAKE = `
import sys, time, jwt
now = int(time.time())
print(jwt.encode({"exp": now + 3600, "type": "access", "iat": now - 600, "nbf": now - 600, "sub": sys.argv[2],
  "email": None, "track": False, "provider_id": "", "application_id": sys.argv[2]}, sys.argv[1], algorithm="HS256"))
`;

describePython('tokens shared with Twake (PyJWT, same secret)', () => {
  const database = useTestDatabase('sqlite');

  const build = (acceptUnboundTokens?: boolean) => {
    const options = { store: createPrismaStore(database().prisma), mode: 'development' as const, throttle: false as const, tokens: { secret: SECRET, acceptUnboundTokens } };
    const app = express();
    app.post('/api/console/v1/login', twakeAppLogin(options));
    app.use('/api', twakeAppAuth(options), (req, res) => {
      res.json({ twake: req.twake });
    });
    app.use(twakeAuthErrorHandler());
    return app;
  };

  it('a token from our login verifies with PyJWT and carries Twake’s claims', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Interop' });
    const login = await request(build()).post('/api/console/v1/login').send({ id: created.publicId, secret: created.privateKey });
    expect(login.status).toBe(200);
    const claims = JSON.parse(python(VERIFY, login.body.resource.access_token.value)) as Record<string, unknown>;
    expect(claims).toMatchObject({ type: 'access', sub: created.publicId, application_id: created.publicId, email: null, track: false, provider_id: '' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600 + 600);
    expect(claims.key_id).toEqual(expect.any(String));
    const refresh = JSON.parse(python(VERIFY, login.body.resource.access_token.refresh)) as Record<string, unknown>;
    expect(refresh.type).toBe('refresh');
  });

  it('a token signed as Twake’s generateJWT is accepted on a company path, while the application lives', async () => {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Issued by Twake' });
    await admin.install(created.publicId, 'company-1');
    const token = python(SIGN_AS_TWAKE, created.publicId);
    const app = build();
    const call = await request(app).post('/api/messages/v1/companies/company-1/threads').set('Authorization', `Bearer ${token}`).send({});
    expect(call.status).toBe(200);
    expect(call.body.twake).toMatchObject({ publicId: created.publicId, companyId: 'company-1', keyId: expect.any(String) });
    expect((await request(app).post('/api/messages/v1/companies/company-2/threads').set('Authorization', `Bearer ${token}`).send({})).status).toBe(403);
    // It names no key: it dies with the application's last live key, or when such tokens are refused.
    expect((await request(build(false)).post('/api/messages/v1/companies/company-1/threads').set('Authorization', `Bearer ${token}`).send({})).status).toBe(401);
    await admin.revokeKey(created.publicId, call.body.twake.keyId as string);
    expect((await request(app).post('/api/messages/v1/companies/company-1/threads').set('Authorization', `Bearer ${token}`).send({})).status).toBe(401);
  });
});
