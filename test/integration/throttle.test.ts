// Failed authentication is throttled per IP and per public id, in memory and through a real Redis.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MemoryStore, createFailureThrottle, type ApplicationStore } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { COUNTER_BACKENDS, deadRedis, liveRedis } from '../helpers/redis';
import { memoryApp } from '../helpers/memory-app';


/** A store that counts lookups: a throttled request must not reach it. */
function countingStore(publicId: string, key: string): { store: ApplicationStore; lookups: () => number } {
  const memory = memoryApp(publicId, key);
  let lookups = 0;
  return {
    store: { findApplication: (id, company) => ((lookups += 1), memory.findApplication(id, company)) },
    lookups: () => lookups,
  };
}

describe.each(COUNTER_BACKENDS)('throttling with %s counters', (_kind, backend) => {
  it('answers 429 with Retry-After and RateLimit fields past the per-IP limit, before the store is queried', async () => {
    const publicId = randomUUID();
    const { store, lookups } = countingStore(publicId, 'right');
    const app = createServer({ store, throttle: { ...backend(), failureLimit: 3, failureWindowSeconds: 30 } });
    for (let i = 0; i < 3; i += 1) {
      expectProblem(await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, `wrong-${i}`)), 401, 'invalid_credentials');
    }
    const before = lookups();
    const throttled = await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right'));
    expectProblem(throttled, 429, 'too_many_failures');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(throttled.headers['ratelimit-policy']).toBe('"ip";q=3;w=30');
    expect(throttled.headers.ratelimit).toMatch(/^"ip";r=0;t=\d+$/);
    expect(lookups()).toBe(before);
  });

  it('counts malformed credentials against the IP, and never counts successes', async () => {
    const publicId = randomUUID();
    const { store } = countingStore(publicId, 'right');
    const app = createServer({ store, throttle: { ...backend(), failureLimit: 2 } });
    for (let i = 0; i < 10; i += 1) expect((await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right'))).status).toBe(200);
    await request(app).get('/api/v1/whoami').set('Authorization', 'Basic !!!');
    await request(app).get('/api/v1/whoami').set('Authorization', 'Bearer x');
    expectProblem(await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right')), 429, 'too_many_failures');
  });

  it('throttles wrong keys for a public id attacked from many IPs, never its correct key, and only that public id', async () => {
    const target = randomUUID();
    const other = randomUUID();
    const memory = new MemoryStore();
    memory.add({ publicId: target, keys: [{ privateKey: 'right' }], companies: ['c1'] });
    memory.add({ publicId: other, keys: [{ privateKey: 'right' }], companies: ['c1'] });
    const throttle = createFailureThrottle({ ...backend(), failureLimit: 100, publicIdFailureLimit: 4 });
    const app = createServer({ store: memory, throttle });
    app.set('trust proxy', 'loopback');
    for (let i = 0; i < 4; i += 1) {
      await request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', `198.51.100.${i}`).set('Authorization', basic(target, 'wrong'));
    }
    const attacker = await request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', '203.0.113.8').set('Authorization', basic(target, 'wrong'));
    expectProblem(attacker, 429, 'too_many_failures');
    expect(attacker.headers['ratelimit-policy']).toBe('"public_id";q=4;w=60');
    // The budget slows down wrong keys only: the application itself still gets through.
    expect((await request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', '203.0.113.9').set('Authorization', basic(target, 'right'))).status).toBe(200);
    expect((await request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', '203.0.113.9').set('Authorization', basic(other, 'right'))).status).toBe(200);
  });
});

describe('throttling shared through Redis', () => {
  it('sees failures counted by another instance', async () => {
    const publicId = randomUUID();
    const { store } = countingStore(publicId, 'right');
    const keyPrefix = `twake-app-auth-test-${randomUUID()}`;
    const makeInstance = () => {
      const redis = liveRedis();
      return createServer({ store, throttle: { redis, keyPrefix, failureLimit: 1000, publicIdFailureLimit: 3 } });
    };
    const [first, second] = [makeInstance(), makeInstance()];
    for (let i = 0; i < 3; i += 1) await request(first).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'wrong'));
    expectProblem(await request(second).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'wrong')), 429, 'too_many_failures');
    expect((await request(second).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right'))).status).toBe(200);
  });

  it('falls back to per-instance memory counters when Redis does not answer (documented), still authenticating', async () => {
    const publicId = randomUUID();
    const { store } = countingStore(publicId, 'right');
    const down = deadRedis();
    const app = createServer({ store, throttle: { redis: down, failureLimit: 2 } });
    expect((await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right'))).status).toBe(200);
    for (let i = 0; i < 2; i += 1) expectProblem(await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'wrong')), 401, 'invalid_credentials');
    expectProblem(await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, 'right')), 429, 'too_many_failures');
  });
});
