// Forged client addresses cannot grow the throttle's memory: only valid IPs are counters.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MemoryStore, createFailureThrottle, type ThrottleOptions } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';

function appBehindProxy(throttle: Partial<ThrottleOptions>) {
  const publicId = randomUUID();
  const store = new MemoryStore();
  store.add({ publicId, keys: [{ privateKey: 'right' }], companies: ['c1'] });
  const app = createServer({ store, throttle: createFailureThrottle(throttle) });
  // Every X-Forwarded-For value is taken as the client address, as behind a proxy that passes it on.
  app.set('trust proxy', true);
  const call = (forwardedFor: string, key = 'wrong') =>
    request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', forwardedFor).set('Authorization', basic(publicId, key));
  return { call };
}

describe('throttle counters under forged client addresses', () => {
  it('counts every value that is not an IP address in one shared bucket', async () => {
    const { call } = appBehindProxy({ failureLimit: 3, publicIdFailureLimit: 1000 });
    for (const garbage of ['not-an-ip', 'x'.repeat(8000), '1.2.3.4:80']) expectProblem(await call(garbage), 401, 'invalid_credentials');
    expectProblem(await call(`garbage-${randomUUID()}`, 'right'), 429, 'too_many_failures');
    // A real address is a counter of its own.
    expect((await call('198.51.100.7', 'right')).status).toBe(200);
  });

  it('groups IPv6 clients by /64 and IPv4-mapped IPv6 with IPv4', async () => {
    const { call } = appBehindProxy({ failureLimit: 2, publicIdFailureLimit: 1000 });
    expectProblem(await call('2001:db8:1:2::1'), 401, 'invalid_credentials');
    expectProblem(await call('2001:db8:1:2:ffff:ffff:ffff:ffff'), 401, 'invalid_credentials');
    expectProblem(await call('2001:db8:1:2::abcd', 'right'), 429, 'too_many_failures');
    expect((await call('2001:db8:1:3::1', 'right')).status).toBe(200);

    expectProblem(await call('::ffff:198.51.100.9'), 401, 'invalid_credentials');
    expectProblem(await call('198.51.100.9'), 401, 'invalid_credentials');
    expectProblem(await call('::ffff:c633:6409', 'right'), 429, 'too_many_failures');
  });
});
