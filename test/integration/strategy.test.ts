// Passport-specific behaviour of TwakeAppStrategy (the shared corpus runs in middleware.test.ts).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import express from 'express';
import passport, { Strategy } from 'passport';
import request from 'supertest';
import { MemoryStore, TwakeAppStrategy, twakeAuthErrorHandler, twakeIdentity, type TwakeIdentity } from '../../src';
import { basic } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { memoryApp } from '../helpers/memory-app';

// What passport-anonymous does: let the request through without a user.
class AnonymousStrategy extends Strategy {
  override name = 'anonymous';
  override authenticate(): void {
    (this as unknown as { pass(): void }).pass();
  }
}

function chained(failWithError: boolean) {
  const store = memoryApp();
  const instance = new passport.Passport();
  instance.use(new TwakeAppStrategy({ store, mode: 'development' }));
  instance.use(new AnonymousStrategy());
  const app = express();
  app.use(instance.initialize());
  app.get('/either', instance.authenticate(['twake-app', 'anonymous'], { session: false }), (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.get('/only', instance.authenticate('twake-app', { session: false, failWithError }), (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}

function warningsOf(kind: 'twake' | 'plain'): { status: number; warnings: Array<{ name: string; code?: string }> } {
  const output = execFileSync(process.execPath, ['--pending-deprecation', join(__dirname, '..', 'fixtures', 'passport-warnings.js'), kind], {
    encoding: 'utf8',
    // The control run's deprecation warning goes to its stderr: keep it out of the test output.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.trim().split('\n').pop() as string);
}

describe('TwakeAppStrategy', () => {
  it('should be a passport strategy named twake-app that needs no passport-http', () => {
    const strategy = new TwakeAppStrategy({ store: new MemoryStore() });
    expect(strategy.name).toBe('twake-app');
    expect(typeof strategy.authenticate).toBe('function');
    expect(() => new passport.Passport().use(strategy)).not.toThrow();
  });

  it("should fail(), not error(), on missing or wrong credentials, so that ['twake-app', 'anonymous'] falls through", async () => {
    const app = chained(false);
    expect((await request(app).get('/either?group_id=c1')).body).toEqual({ user: null });
    expect((await request(app).get('/either?group_id=c1').set('Authorization', basic('app', 'wrong'))).body).toEqual({ user: null });
    const through = await request(app).get('/either?group_id=c1').set('Authorization', basic('app', 'right'));
    expect(through.body.user).toMatchObject({ publicId: 'app', companyId: 'c1' });
  });

  it('should still answer 401 with the challenge as the last strategy, and the problem body with failWithError', async () => {
    const plain = await request(chained(false)).get('/only?group_id=c1').set('Authorization', basic('app', 'wrong'));
    expect(plain.status).toBe(401);
    expect(plain.headers['www-authenticate']).toBe('Basic realm="Twake applications", charset="UTF-8"');
    expectProblem(await request(chained(true)).get('/only?group_id=c1').set('Authorization', basic('app', 'wrong')), 401, 'invalid_credentials');
    expectProblem(await request(chained(true)).get('/only?group_id=c1'), 401, 'missing_credentials');
  });

  it('should keep error() for refusals after the key (403 not installed), which do not fall through', async () => {
    const refused = await request(chained(false)).get('/either?group_id=c2').set('Authorization', basic('app', 'right'));
    expectProblem(refused, 403, 'not_installed');
  });

  it('calls a custom callback that throws once, and hands its error to Express (regression for a second report)', async () => {
    const store = new MemoryStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'right' }], companies: ['c1'] });
    const instance = new passport.Passport();
    instance.use(new TwakeAppStrategy({ store, mode: 'development' }));
    const calls: unknown[] = [];
    const app = express();
    app.use(instance.initialize());
    app.get('/custom', (req, res, next) => {
      instance.authenticate('twake-app', { session: false }, (error: unknown, user: unknown) => {
        calls.push(error ?? user);
        if (user) throw new Error('callback failed');
        res.json({ user });
      })(req, res, next);
    });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ handled: error.message });
    });
    const response = await request(app).get('/custom?group_id=c1').set('Authorization', basic('app', 'right'));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ handled: 'callback failed' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ publicId: 'app', companyId: 'c1' });
  });

  it('should never call the deprecated Buffer constructor (DEP0005), unlike plain passport-http', () => {
    const plain = warningsOf('plain');
    // The control: passport-http's own parsing triggers the deprecation, so this test can fail.
    expect(plain.status).toBe(200);
    expect(plain.warnings).toContainEqual({ name: 'DeprecationWarning', code: 'DEP0005' });

    const ours = warningsOf('twake');
    expect(ours.status).toBe(200);
    expect(ours.warnings).toEqual([]);
  });
});

describe('twakeIdentity(req)', () => {
  it('gives the typed identity behind the strategy, and throws where nothing authenticated the request', async () => {
    const store = memoryApp();
    const local = new passport.Passport();
    local.use(new TwakeAppStrategy({ store, mode: 'development' }));
    const app = express();
    app.use(local.initialize());
    app.get('/in', local.authenticate('twake-app', { session: false }), (req, res) => {
      const identity: TwakeIdentity = twakeIdentity(req);
      res.json({ same: identity === req.user, company: identity.companyId });
    });
    app.get('/out', (req, res) => {
      try {
        twakeIdentity(req);
        res.json({ threw: false });
      } catch (error) {
        res.json({ threw: error instanceof TypeError });
      }
    });
    expect((await request(app).get('/in?group_id=c1').set('Authorization', basic('app', 'right'))).body).toEqual({ same: true, company: 'c1' });
    expect((await request(app).get('/out')).body).toEqual({ threw: true });
  });
});
