import express from 'express';
import request from 'supertest';
import { describe, expect, it } from '@jest/globals';
import { MemoryStore, TwakeAppStrategy, twakeAppAuth } from '../../src';
import { modeFromEnvironment, parseOptions } from '../../src/core/options';

describe('parseOptions', () => {
  const store = new MemoryStore();

  it('should resolve the defaults', () => {
    const config = parseOptions({ store, mode: 'production' });
    expect(config.realm).toBe('Twake applications');
    expect(config.bodyLimit).toBe('100kb');
    expect(config.mode).toBe('production');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('should not modify the options object passed', () => {
    const options = { store, realm: 'Mine' };
    const copy = { ...options };
    parseOptions(options);
    expect(options).toEqual(copy);
  });

  it('should be production unless NODE_ENV is exactly development', () => {
    expect(modeFromEnvironment(undefined)).toBe('production');
    expect(modeFromEnvironment('')).toBe('production');
    expect(modeFromEnvironment('test')).toBe('production');
    expect(modeFromEnvironment('Development')).toBe('production');
    expect(modeFromEnvironment('dev')).toBe('production');
    expect(modeFromEnvironment('development')).toBe('development');
  });

  it('should prefer the mode option over NODE_ENV', () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      expect(parseOptions({ store }).mode).toBe('development');
      expect(parseOptions({ store, mode: 'production' }).mode).toBe('production');
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('should answer app.use(twakeAppAuth) (the factory as a middleware) with an error that says how to fix it', async () => {
    const app = express();
    app.use(twakeAppAuth as never);
    app.get('/', (_req, res) => {
      res.end('reached');
    });
    let seen: unknown;
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen = error;
      res.status(500).end();
    });
    const response = await request(app).get('/');
    expect(response.status).toBe(500);
    expect(String((seen as Error).message)).toMatch(/app\.use\(twakeAppAuth\(\{ store \}\)\), not app\.use\(twakeAppAuth\)/);
  });

  it.each([
    ['no options', undefined, /options are required/],
    ['the factory itself', twakeAppAuth, /Did you write app.use\(twakeAppAuth\)/],
    ['no store', {}, /option "store" must be an ApplicationStore/],
    ['a store without findApplication', { store: {} }, /option "store"/],
    ['an unknown key', { store, relm: 'x' }, /unknown option "relm"/],
    ['a bad mode', { store, mode: 'dev' }, /option "mode"/],
    ['a bad isSecure', { store, isSecure: true }, /option "isSecure"/],
    ['a realm with a quote', { store, realm: 'a"b' }, /option "realm"/],
    ['an empty realm', { store, realm: '' }, /option "realm"/],
    ['a bad bodyLimit', { store, bodyLimit: {} }, /option "bodyLimit"/],
    ['a bad clock', { store, now: 5 }, /option "now"/],
    ['an unknown throttle key', { store, throttle: { foo: 1 } }, /unknown throttle option "foo"/],
    ['an unknown requestLimit key', { store, requestLimit: { limit: 5, windw: 60 } }, /unknown requestLimit option "windw"/],
    ['a bad unreadBodies', { store, unreadBodies: 'ignore' }, /option "unreadBodies"/],
    ['a bad bodyTimeoutMs', { store, bodyTimeoutMs: 0 }, /option "bodyTimeoutMs"/],
    ['a route whose methods is a string', { store, routes: { 'a/b': { capabilities: [], privileges: [], methods: 'POST' } } }, /"methods" must be a non-empty array/],
    ['a route with no method at all', { store, routes: { 'a/b': { capabilities: [], privileges: [], methods: [] } } }, /"methods" must be a non-empty array/],
    ['a route with a lower-case method (never equal to a request method)', { store, routes: { 'a/b': { capabilities: [], privileges: [], methods: ['post'] } } }, /upper-case methods/],
  ])('should throw a TypeError for %s', (_name, options, message) => {
    expect(() => parseOptions(options as never)).toThrow(TypeError);
    expect(() => parseOptions(options as never)).toThrow(message);
    expect(() => twakeAppAuth(options as never)).toThrow(message);
    expect(() => new TwakeAppStrategy(options as never)).toThrow(message);
  });
});
