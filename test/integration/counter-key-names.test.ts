// Redis counter key names never carry what a caller sent as a public id (which may be a private key).
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MemoryStore, generatePrivateKey } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { liveRedis } from '../helpers/redis';

describe('Redis counter key names', () => {
  it('hold a hash of the public id and of the application id, never the raw value, even when id and key are swapped', async () => {
    const redis = liveRedis();
    const keyPrefix = `twake-app-auth-test-${randomUUID()}`;
    const store = new MemoryStore();
    const publicId = `app_${randomUUID()}`;
    const privateKey = generatePrivateKey();
    const applicationId = `application-${randomUUID()}`;
    store.add({ id: applicationId, publicId, keys: [{ privateKey }], companies: ['c1'] });
    // A generous deadline: this test is about key names, and a counter that gave up on a busy Redis would
    // count in memory and leave no key to look at.
    const counters = { redis, keyPrefix, redisTimeoutMs: 5000 };
    const app = createServer({ store, throttle: counters, requestLimit: { ...counters, limit: 1000 } });
    const call = (user: string, password: string) => request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(user, password));

    // `curl -u KEY:ID`: the private key arrives where the public id belongs.
    for (let i = 0; i < 3; i += 1) expectProblem(await call(privateKey, publicId), 401, 'invalid_credentials');
    for (let i = 0; i < 3; i += 1) expectProblem(await call(publicId, 'wrong'), 401, 'invalid_credentials');
    expect((await call(publicId, privateKey)).status).toBe(200);

    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      names.push(...batch);
    } while (cursor !== '0');
    // One per-IP counter, one per claimed public id (two), one per application.
    expect(names.length).toBeGreaterThanOrEqual(4);
    const secrets = [privateKey, privateKey.slice(0, 16), publicId, publicId.slice(4), applicationId];
    for (const name of names) {
      for (const secret of secrets) expect(name).not.toContain(secret);
      expect(name).toMatch(new RegExp(`^${keyPrefix}:(fail-ip:[0-9a-f.:/]+|(fail-app|requests-app):[0-9a-f]{32})$`));
    }
    await redis.del(...names);
  });
});
