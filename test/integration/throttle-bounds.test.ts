// Forged client addresses cannot grow the throttle's memory: only valid IPs are counters, and counters are capped.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createFailureThrottle, type ThrottleOptions } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { memoryApp } from '../helpers/memory-app';

function appBehindProxy(throttle: Partial<ThrottleOptions>) {
  const publicId = randomUUID();
  const store = memoryApp(publicId);
  const app = createServer({ store, throttle: createFailureThrottle(throttle) });
  // Every X-Forwarded-For value is taken as the client address, as behind a proxy that passes it on.
  app.set('trust proxy', true);
  const call = (forwardedFor: string, key = 'wrong') =>
    request(app).get('/api/v1/whoami?group_id=c1').set('X-Forwarded-For', forwardedFor).set('Authorization', basic(publicId, key));
  return { app, publicId, call };
}

interface HeapRun {
  statuses: number[];
  grownMiB: number;
  kept: number;
}

/**
 * Runs test/fixtures/throttle-heap.js (over dist) in a process of its own, with --expose-gc: the heap
 * measured is the validator's alone, not a Jest worker's shared with other test files.
 */
async function heapRun(mode?: 'retain'): Promise<HeapRun> {
  const fixture = join(__dirname, '..', 'fixtures', 'throttle-heap.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fixture, ...(mode === undefined ? [] : [mode])], { encoding: 'utf8', timeout: 50_000 });
  return JSON.parse(stdout) as HeapRun;
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

  it('forgets the least recently used counters past maxTrackedKeys', async () => {
    const { call } = appBehindProxy({ failureLimit: 1, publicIdFailureLimit: 1000, maxTrackedKeys: 10 });
    expectProblem(await call('203.0.113.1'), 401, 'invalid_credentials');
    expectProblem(await call('203.0.113.1', 'right'), 429, 'too_many_failures');
    for (let i = 0; i < 10; i += 1) expectProblem(await call(`198.51.100.${i}`), 401, 'invalid_credentials');
    // Ten newer addresses pushed the first one out: it starts again from nothing.
    expect((await call('203.0.113.1', 'right')).status).toBe(200);
  });

  it('does not grow the heap with thousands of 8,000-character forged addresses', async () => {
    const run = await heapRun();
    expect(run.statuses).toEqual([401]);
    // 4,000 distinct 8 KB keys would hold 31 MiB of strings alone.
    expect(run.grownMiB).toBeLessThan(8);
  }, 60_000);

  it('sees the 31 MiB those addresses would hold if kept (the control for the measurement above)', async () => {
    const run = await heapRun('retain');
    expect(run.statuses).toEqual([401]);
    expect(run.kept).toBe(4100);
    expect(run.grownMiB).toBeGreaterThan(24);
  }, 60_000);
});
