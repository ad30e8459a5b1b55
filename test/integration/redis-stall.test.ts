// A Redis that keeps its connections open but stops answering: requests are still answered at once,
// counters fall back to memory, /readyz says Redis is degraded, and the outage is logged once.
import { afterEach, describe, expect, it } from '@jest/globals';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import request from 'supertest';
import { createFailureThrottle, createRequestLimiter } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { timeUntil } from '../helpers/eventually';
import { expectProblem } from '../helpers/expect-problem';
import { startServerWithApp } from '../helpers/server-with-app';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { memoryApp } from '../helpers/memory-app';
import { testApp } from '../helpers/test-app';

// TEST_REDIS_URL's host, port and database number, reached through a proxy the test can stall.
const TEST_REDIS = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const REDIS_HOST = TEST_REDIS.hostname;
const REDIS_PORT = Number(TEST_REDIS.port || 6379);
const REDIS_DB = Number(TEST_REDIS.pathname.slice(1) || 0);
/** TEST_REDIS_URL with its host and port replaced by the proxy's. */
function throughProxy(proxy: TcpProxy): string {
  const url = new URL(TEST_REDIS.toString());
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
/**
 * The counters' Redis deadline (redisTimeoutMs, REDIS_TIMEOUT_MS) in these tests. Once Redis has missed it
 * the counters are in memory: later answers wait for nothing, where each would take at least this long if
 * it still waited for Redis.
 */
const DEADLINE_MS = 200;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real Redis behind a proxy the test can stall, and a client as a library user would make it (no commandTimeout). */
async function stallableRedis(): Promise<{ proxy: TcpProxy; redis: Redis }> {
  const proxy = await startTcpProxy(REDIS_HOST, REDIS_PORT);
  const redis = new Redis({ host: '127.0.0.1', port: proxy.port, db: REDIS_DB, username: TEST_REDIS.username || undefined, password: TEST_REDIS.password || undefined, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  cleanups.push(() => proxy.close(), () => redis.disconnect());
  if (redis.status !== 'ready') await once(redis, 'ready');
  return { proxy, redis };
}


async function timed<T>(run: () => PromiseLike<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

/**
 * Answers given at memory speed: their median and their mean well under the deadline (at most half of it),
 * so that a few slow answers on a busy machine do not fail the test, but answers that each waited for
 * Redis, or every other one that did, would.
 */
function expectMemorySpeed(ms: number[]): void {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const mean = ms.reduce((sum, one) => sum + one, 0) / ms.length;
  expect(median).toBeLessThan(DEADLINE_MS / 2);
  expect(mean).toBeLessThan(DEADLINE_MS / 2);
}

/** The first answer after the stall met the deadline (so the stall was felt), and did not hang beyond it. */
function expectFirstMetTheDeadline(ms: number): void {
  expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS * 0.9);
  expect(ms).toBeLessThan(DEADLINE_MS + 1000);
}

describe('throttling and request limit through a Redis that stops answering', () => {
  it('answers at memory speed after the first deadline, with per-instance memory counters (client without commandTimeout)', async () => {
    const { proxy, redis } = await stallableRedis();
    const publicId = randomUUID();
    const keyPrefix = `twake-app-auth-test-${randomUUID()}`;
    const app = createServer({
      store: memoryApp(publicId, 'right'),
      throttle: { redis, keyPrefix, failureLimit: 3, redisTimeoutMs: DEADLINE_MS },
      requestLimit: { redis, keyPrefix, limit: 1000, redisTimeoutMs: DEADLINE_MS },
    });
    const call = (key: string) => timed(() => request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(publicId, key)).timeout(3000));
    expect((await call('right')).result.status).toBe(200);
    proxy.stall();
    const first = await call('right');
    expect(first.result.status).toBe(200);
    expectFirstMetTheDeadline(first.ms);
    const later: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const valid = await call('right');
      expect(valid.result.status).toBe(200);
      later.push(valid.ms);
    }
    for (let i = 0; i < 3; i += 1) {
      const wrong = await call('wrong');
      expectProblem(wrong.result, 401, 'invalid_credentials');
      later.push(wrong.ms);
    }
    // The three failures were counted in memory while Redis was frozen.
    const throttled = await call('right');
    expectProblem(throttled.result, 429, 'too_many_failures');
    later.push(throttled.ms);
    expectMemorySpeed(later);
  });

  it('reports Redis degraded on /readyz (still 200), tells the outage once, and its end once', async () => {
    const { proxy, redis } = await stallableRedis();
    const publicId = randomUUID();
    const keyPrefix = `twake-app-auth-test-${randomUUID()}`;
    const changes: string[] = [];
    const onRedisStateChange = (change: { state: string }) => changes.push(change.state);
    const app = testApp({
      store: memoryApp(publicId, 'right'),
      throttle: createFailureThrottle({ redis, keyPrefix, onRedisStateChange, redisTimeoutMs: DEADLINE_MS }),
      requestLimit: createRequestLimiter({ redis, keyPrefix, limit: 1000, onRedisStateChange, redisTimeoutMs: DEADLINE_MS }),
      checkReady: async () => undefined,
    });
    const ready = () => timed(() => request(app).get('/readyz').timeout(3000));
    expect((await ready()).result.body).toEqual({ status: 'ready', redis: 'ok' });
    proxy.stall();
    const answers: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      const answer = await timed(() => request(app).get('/api/v1/auth/test?group_id=c1').set('Authorization', basic(publicId, i % 2 ? 'right' : 'wrong')).timeout(3000));
      expect(answer.result.status).toBe(i % 2 ? 200 : 401);
      answers.push(answer.ms);
    }
    expectFirstMetTheDeadline(answers[0] as number);
    expectMemorySpeed(answers.slice(1));
    // /readyz asks Redis, within the deadline.
    const degraded = await ready();
    expect(degraded.result.status).toBe(200);
    expect(degraded.result.body).toEqual({ status: 'ready', redis: 'degraded' });
    expect(degraded.ms).toBeLessThan(DEADLINE_MS + 1000);
    expect(changes).toEqual(['degraded']);

    proxy.restore();
    await timeUntil(async () => (await ready()).result.body.redis === 'ok', 5000);
    expect((await request(app).get('/api/v1/auth/test?group_id=c1').set('Authorization', basic(publicId, 'right'))).status).toBe(200);
    // The end of the outage is told once Redis has kept answering for a few seconds.
    await timeUntil(() => changes.length === 2, 10_000);
    expect(changes).toEqual(['degraded', 'ok']);
  });
});

describe('twake-app-auth serve with a Redis that stops answering', () => {
  it('answers at memory speed after the first deadline, says degraded on /readyz, and logs the outage once and its end once', async () => {
    const proxy = await startTcpProxy(REDIS_HOST, REDIS_PORT);
    cleanups.push(() => proxy.close());
    const { app, server, stop } = await startServerWithApp('sqlite', {
      name: 'Stalled',
      serverEnv: { REDIS_URL: throughProxy(proxy), REDIS_KEY_PREFIX: `twake-app-auth-test-${randomUUID()}`, APP_REQUEST_LIMIT: '1000', REDIS_TIMEOUT_MS: String(DEADLINE_MS) },
    });
    cleanups.push(stop);
    const call = (path: string, key?: string) =>
      timed(async () => {
        const response = await fetch(`${server.url}${path}`, {
          headers: key === undefined ? {} : { authorization: basic(app.publicId, key) },
          signal: AbortSignal.timeout(3000),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      });

    // Stall only once the server's client is connected (before that, commands fail at once rather than hang).
    await timeUntil(async () => (await call('/readyz')).result.body.redis === 'ok', 5000);
    expect((await call('/api/v1/auth/test?group_id=acme', app.privateKey)).result.status).toBe(200);
    proxy.stall();
    const answers: number[] = [];
    for (let i = 0; i < 31; i += 1) {
      const answer = await call('/api/v1/auth/test?group_id=acme', i % 2 ? app.privateKey : 'wrong');
      expect(answer.result.status).toBe(i % 2 ? 200 : 401);
      answers.push(answer.ms);
    }
    expectFirstMetTheDeadline(answers[0] as number);
    expectMemorySpeed(answers.slice(1));
    const degraded = await call('/readyz');
    expect(degraded.result).toEqual({ status: 200, body: { status: 'ready', redis: 'degraded' } });
    expect(degraded.ms).toBeLessThan(DEADLINE_MS + 1000);
    const redisLines = () => server.logs.filter((line) => /"msg":"redis [^"]*"/.test(line));
    expect(redisLines()).toHaveLength(1);
    expect(redisLines()[0]).toMatch(/"level":40/);

    proxy.restore();
    await timeUntil(async () => (await call('/readyz')).result.body.redis === 'ok', 5000);
    expect((await call('/api/v1/auth/test?group_id=acme', app.privateKey)).result.status).toBe(200);
    await timeUntil(() => redisLines().length >= 2, 10_000);
    expect(redisLines()).toHaveLength(2);
    expect(redisLines()[1]).toMatch(/"level":30/);
  }, 30_000);
});
