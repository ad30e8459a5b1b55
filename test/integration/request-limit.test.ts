// The optional per-application request limit: off by default, in memory, through a real Redis, and in the server.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MemoryStore, createRequestLimiter } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { COUNTER_BACKENDS, deadRedis, liveRedis } from '../helpers/redis';
import { startServerWithApp } from '../helpers/server-with-app';

function twoApplications() {
  const store = new MemoryStore();
  const first = { publicId: randomUUID(), key: 'first-key' };
  const second = { publicId: randomUUID(), key: 'second-key' };
  for (const app of [first, second]) store.add({ publicId: app.publicId, keys: [{ privateKey: app.key }], companies: ['c1'] });
  return { store, first, second };
}

const call = (app: ReturnType<typeof createServer>, publicId: string, key: string) =>
  request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, key));

describe('per-application request limit', () => {
  it('is off by default: an application makes more calls than any limit a test would set', async () => {
    const { store, first } = twoApplications();
    const app = createServer({ store });
    for (let i = 0; i < 200; i += 1) expect((await call(app, first.publicId, first.key)).status).toBe(200);
  });

  describe.each(COUNTER_BACKENDS)('with %s counters', (_kind, backend) => {
    it('answers 429 too_many_requests past the limit, to that application only, with the RateLimit fields', async () => {
      const { store, first, second } = twoApplications();
      const app = createServer({ store, requestLimit: { limit: 3, windowSeconds: 60, ...backend() } });
      for (let i = 0; i < 3; i += 1) expect((await call(app, first.publicId, first.key)).status).toBe(200);
      const refused = await call(app, first.publicId, first.key);
      expectProblem(refused, 429, 'too_many_requests');
      expect(refused.headers['ratelimit-policy']).toBe('"application";q=3;w=60');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.headers.ratelimit).toBe(`"application";r=0;t=${refused.headers['retry-after']}`);
      expect((await call(app, second.publicId, second.key)).status).toBe(200);
    });

    it('counts only authenticated calls: wrong keys do not spend the application’s budget', async () => {
      const { store, first } = twoApplications();
      const app = createServer({ store, throttle: false, requestLimit: { limit: 2, ...backend() } });
      for (let i = 0; i < 5; i += 1) expectProblem(await call(app, first.publicId, 'wrong'), 401, 'invalid_credentials');
      expect((await call(app, first.publicId, first.key)).status).toBe(200);
      expect((await call(app, first.publicId, first.key)).status).toBe(200);
      expectProblem(await call(app, first.publicId, first.key), 429, 'too_many_requests');
    });

    it('opens a new window once the old one ends', async () => {
      const { store, first } = twoApplications();
      const app = createServer({ store, requestLimit: { limit: 1, windowSeconds: 1, ...backend() } });
      expect((await call(app, first.publicId, first.key)).status).toBe(200);
      expectProblem(await call(app, first.publicId, first.key), 429, 'too_many_requests');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await call(app, first.publicId, first.key)).status).toBe(200);
    });
  });

  it('is shared by instances through Redis', async () => {
    const { store, first } = twoApplications();
    const keyPrefix = `twake-app-auth-test-${randomUUID()}`;
    const instance = () => {
      const redis = liveRedis();
      return createServer({ store, requestLimit: createRequestLimiter({ limit: 3, redis, keyPrefix }) });
    };
    const [one, two] = [instance(), instance()];
    expect((await call(one, first.publicId, first.key)).status).toBe(200);
    expect((await call(two, first.publicId, first.key)).status).toBe(200);
    expect((await call(one, first.publicId, first.key)).status).toBe(200);
    expectProblem(await call(two, first.publicId, first.key), 429, 'too_many_requests');
  });

  it('falls back to per-instance memory counters when Redis does not answer, still authenticating', async () => {
    const { store, first } = twoApplications();
    const down = deadRedis();
    const app = createServer({ store, requestLimit: { limit: 2, redis: down } });
    expect((await call(app, first.publicId, first.key)).status).toBe(200);
    expect((await call(app, first.publicId, first.key)).status).toBe(200);
    expectProblem(await call(app, first.publicId, first.key), 429, 'too_many_requests');
  });

  it('lets valid calls through when the limiter itself fails (fails open, like throttling)', async () => {
    const { store, first } = twoApplications();
    const broken = { consume: () => Promise.reject(new Error('counter store gone')) };
    const app = createServer({ store, requestLimit: broken });
    expect((await call(app, first.publicId, first.key)).status).toBe(200);
    expectProblem(await call(app, first.publicId, 'wrong'), 401, 'invalid_credentials');
  });

  it('refuses settings that are not whole numbers', () => {
    const { store } = twoApplications();
    expect(() => createServer({ store, requestLimit: { limit: 0 } })).toThrow(/requestLimit limit must be a whole number/);
    expect(() => createServer({ store, requestLimit: { limit: 10, windowSeconds: 1.5 } })).toThrow(/requestLimit windowSeconds must be a whole number/);
    expect(() => createServer({ store, requestLimit: 5 as unknown as false })).toThrow(/option "requestLimit" must be false or an object/);
  });

  it('is set in the server by APP_REQUEST_LIMIT and APP_REQUEST_WINDOW_SECONDS', async () => {
    const started = await startServerWithApp('sqlite', { name: 'Limited', serverEnv: { APP_REQUEST_LIMIT: '2', APP_REQUEST_WINDOW_SECONDS: '30' } });
    const { server, app } = started;
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(`${server.url}/api/v1/auth/test?group_id=acme`, { headers: { authorization: basic(app.publicId, app.privateKey) } });
        statuses.push([response.status, response.headers.get('ratelimit-policy')]);
      }
      expect(statuses).toEqual([
        [200, null],
        [200, null],
        [429, '"application";q=2;w=30'],
      ]);
    } finally {
      await started.stop();
    }
  }, 30_000);
});
