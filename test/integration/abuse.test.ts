// Abuse without collateral damage: no lockout of a correct key, no cache bypass, throttled cleartext revocation, bounded body reads.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { MemoryStore, createCachedStore, type ApplicationStore, type CleartextKeyEvent } from '../../src';
import { readServerConfig } from '../../server/src/server/server-config';
import { basic, createServer } from '../helpers/create-server';
import { eventually, settle } from '../helpers/eventually';
import { expectProblem } from '../helpers/expect-problem';
import { listenOnFreePort } from '../helpers/listen';
import { memoryApp } from '../helpers/memory-app';

/** A MemoryStore behind a cache, counting the lookups that reach the store (the database). */
function cachedApp(companies: string[] = ['c1']) {
  const memory = new MemoryStore();
  const publicId = randomUUID();
  memory.add({ publicId, keys: [{ privateKey: 'right' }], companies });
  let lookups = 0;
  const counting: ApplicationStore = { findApplication: (id, company) => ((lookups += 1), memory.findApplication(id, company)) };
  const store = createCachedStore(counting, { ttlMs: 60_000 });
  return { store, publicId, lookups: () => lookups };
}

const whoami = (app: ReturnType<typeof createServer>, authorization: string, ip?: string, company = 'c1') => {
  const call = request(app).get(`/api/v1/whoami?group_id=${encodeURIComponent(company)}`).set('Authorization', authorization);
  return ip === undefined ? call : call.set('X-Forwarded-For', ip);
};

describe('a correct key is never refused because of others’ failures (observations 1 and 2)', () => {
  it('300 wrong keys for a public id from many addresses: its correct key still passes, wrong ones get 429', async () => {
    const { store, publicId } = cachedApp();
    const app = createServer({ store, throttle: { failureLimit: 100, publicIdFailureLimit: 300 } });
    app.set('trust proxy', 'loopback');
    expect((await whoami(app, basic(publicId, 'right'), '203.0.113.1')).status).toBe(200);
    for (let i = 0; i < 310; i += 1) await whoami(app, basic(publicId, `wrong-${i}`), `198.51.100.${i % 250}`);
    expectProblem(await whoami(app, basic(publicId, 'wrong'), '192.0.2.77'), 429, 'too_many_failures');
    for (const ip of ['203.0.113.1', '192.0.2.99', '198.51.100.3']) expect((await whoami(app, basic(publicId, 'right'), ip)).status).toBe(200);
  });

  it('a flood of garbage from a shared address (a proxy without X-Forwarded-For): a held application still passes', async () => {
    const { store, publicId } = cachedApp();
    const app = createServer({ store, throttle: { failureLimit: 100 } });
    expect((await whoami(app, basic(publicId, 'right'))).status).toBe(200);
    for (let i = 0; i < 60; i += 1) await whoami(app, 'Basic !!!');
    for (let i = 0; i < 60; i += 1) await whoami(app, basic(randomUUID(), 'x'));
    expectProblem(await whoami(app, basic(randomUUID(), 'x')), 429, 'too_many_failures');
    expect((await whoami(app, basic(publicId, 'right'))).status).toBe(200);
  });

  it('an application held but expired is refreshed for its correct key, from an address over its budget', async () => {
    let now = 0;
    const memory = memoryApp();
    const store = createCachedStore(memory, { ttlMs: 1000, now: () => now });
    const app = createServer({ store, throttle: { failureLimit: 5 } });
    expect((await whoami(app, basic('app', 'right'))).status).toBe(200);
    for (let i = 0; i < 6; i += 1) await whoami(app, basic('someone-else', 'x'));
    now = 5000;
    expect((await whoami(app, basic('app', 'right'))).status).toBe(200);
    expectProblem(await whoami(app, basic('app', 'wrong')), 429, 'too_many_failures');
  });
});

describe('the cache is keyed key-first (observations 4 and 5)', () => {
  it('a wrong key with a new company every time does not reach the store once the application is held', async () => {
    const { store, publicId, lookups } = cachedApp();
    const app = createServer({ store, throttle: false });
    expect((await whoami(app, basic(publicId, 'right'))).status).toBe(200);
    const before = lookups();
    for (let i = 0; i < 300; i += 1) expectProblem(await whoami(app, basic(publicId, 'wrong'), undefined, `company-${i}`), 401, 'invalid_credentials');
    expect(lookups()).toBe(before);
  });

  it('an unknown public id with a new company every time reaches the store once per TTL', async () => {
    const { store, lookups } = cachedApp();
    const app = createServer({ store, throttle: false });
    for (let i = 0; i < 100; i += 1) await whoami(app, basic('ghost', 'wrong'), undefined, `company-${i}`);
    expect(lookups()).toBe(1);
  });

  it('an expired application under a flood of wrong keys with new companies costs one shared lookup', async () => {
    let now = 0;
    const memory = memoryApp();
    let lookups = 0;
    const slow: ApplicationStore = {
      findApplication: (id, company) => ((lookups += 1), new Promise((resolve) => setTimeout(() => resolve(memory.findApplication(id, company)), 100))),
    };
    const store = createCachedStore(slow, { ttlMs: 1000, now: () => now });
    const app = createServer({ store, throttle: false });
    expect((await whoami(app, basic('app', 'right'))).status).toBe(200);
    now = 5000;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => whoami(app, basic('app', 'wrong'), undefined, `company-${i}`)));
    for (const answer of answers) expectProblem(answer, 401, 'invalid_credentials');
    expect(lookups).toBe(2);
  });

  it('the correct key with a new company asks about that installation (and caches it)', async () => {
    const { store, publicId, lookups } = cachedApp(['c1', 'c2']);
    const app = createServer({ store, throttle: false });
    expect((await whoami(app, basic(publicId, 'right'))).status).toBe(200);
    expect((await whoami(app, basic(publicId, 'right'), undefined, 'c2')).status).toBe(200);
    expectProblem(await whoami(app, basic(publicId, 'right'), undefined, 'c3'), 403, 'not_installed');
    expect((await whoami(app, basic(publicId, 'right'), undefined, 'c2')).status).toBe(200);
    expect(lookups()).toBe(3);
  });
});

describe('cleartext revocation (observation 8)', () => {
  function revocable(failTimes: number) {
    const memory = new MemoryStore();
    memory.add({ publicId: 'app', id: 'app-id', keys: [{ id: 'k1', privateKey: 'right' }], companies: ['c1'] });
    let lookups = 0;
    let revokeCalls = 0;
    const store: ApplicationStore = {
      findApplication: (id, company) => ((lookups += 1), memory.findApplication(id, company)),
      revokeKey: async () => {
        revokeCalls += 1;
        if (revokeCalls <= failTimes) throw new Error('database down');
      },
    };
    return { store, lookups: () => lookups, revokeCalls: () => revokeCalls };
  }

  it('plain-HTTP calls count as failures: past the budget, no lookup', async () => {
    const { store, lookups } = revocable(0);
    const app = createServer({ store, mode: 'production', revokeKeysSeenInCleartext: true, throttle: { failureLimit: 10 } });
    for (let i = 0; i < 50; i += 1) expectProblem(await whoami(app, basic(randomUUID(), 'x')), 403, 'https_required');
    // Each call within the budget of 10 is looked up (the revocation runs after the answer), none past it.
    await eventually(() => expect(lookups()).toBe(10));
    await settle();
    expect(lookups()).toBe(10);
  });

  it('plain-HTTP calls without a throttle are each looked up (the control for the budget above)', async () => {
    const { store, lookups } = revocable(0);
    const app = createServer({ store, mode: 'production', revokeKeysSeenInCleartext: true, throttle: false });
    for (let i = 0; i < 50; i += 1) expectProblem(await whoami(app, basic(randomUUID(), 'x')), 403, 'https_required');
    await eventually(() => expect(lookups()).toBe(50));
  });

  it('a failed revocation answers the same 403, is reported, and is tried again', async () => {
    const { store, revokeCalls } = revocable(1);
    const failures: Array<{ event: CleartextKeyEvent; willRetry: boolean }> = [];
    const revoked: CleartextKeyEvent[] = [];
    const app = createServer({
      store,
      mode: 'production',
      revokeKeysSeenInCleartext: true,
      onCleartextKeyRevoked: (event) => void revoked.push(event),
      onCleartextRevocationFailed: (event, _error, willRetry) => void failures.push({ event, willRetry }),
    });
    const leaked = await whoami(app, basic('app', 'right'));
    const wrong = await whoami(app, basic('app', 'wrong'));
    expectProblem(leaked, 403, 'https_required');
    expect(leaked.text).toBe(wrong.text);
    expect(failures).toEqual([{ event: { publicId: 'app', applicationId: 'app-id', keyId: 'k1' }, willRetry: true }]);
    // The retry is due 1 s after the failure.
    await eventually(() => expect(revokeCalls()).toBe(2), 3000);
    expect(revoked).toEqual([{ publicId: 'app', applicationId: 'app-id', keyId: 'k1' }]);
  });

  it('the server refuses REVOKE_CLEARTEXT_KEYS=true without its own TLS or TRUST_PROXY', () => {
    expect(() => readServerConfig({ REVOKE_CLEARTEXT_KEYS: 'true' })).toThrow(/REVOKE_CLEARTEXT_KEYS=true needs/);
    expect(readServerConfig({ REVOKE_CLEARTEXT_KEYS: 'true', TRUST_PROXY: 'loopback' }).revokeCleartextKeys).toBe(true);
  });
});

describe('the body is read last, and within a deadline (observation 10)', () => {
  // Sends the headers and half of the announced body, then waits for the answer.
  function unfinishedBody(port: number, authorization: string): Promise<{ status: number; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        { port, host: '127.0.0.1', method: 'POST', path: '/api/v1/whoami', headers: { Authorization: authorization, 'Content-Type': 'application/json', 'Content-Length': '100' } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, ms: Date.now() - started });
          req.destroy();
        },
      );
      req.on('error', reject);
      req.write('{"group_id":');
    });
  }

  it('garbage credentials with an unfinished body: 401 at once, the body never waited for', async () => {
    const memory = memoryApp();
    for (const store of [memory, createCachedStore(memory)]) {
      const server = await listenOnFreePort(createServer({ store, bodyTimeoutMs: 5000 }));
      try {
        for (const authorization of [basic('nobody', 'x'), basic('app', 'wrong')]) {
          const answer = await unfinishedBody(server.port, authorization);
          expect(answer.status).toBe(401);
          expect(answer.ms).toBeLessThan(1000);
        }
      } finally {
        await server.close();
      }
    }
  });

  it('a throttled client with an unfinished body: 429 at once', async () => {
    const app = createServer({ store: new MemoryStore(), throttle: { failureLimit: 1 } });
    await whoami(app, 'Basic !!!');
    const server = await listenOnFreePort(app);
    const answer = await unfinishedBody(server.port, 'Basic !!!');
    expect(answer.status).toBe(429);
    expect(answer.ms).toBeLessThan(1000);
    await server.close();
  });

  it('valid credentials with an unfinished body: 408 body_timeout after bodyTimeoutMs', async () => {
    const memory = memoryApp();
    const server = await listenOnFreePort(createServer({ store: memory, bodyTimeoutMs: 300 }));
    const answer = await unfinishedBody(server.port, basic('app', 'right'));
    expect(answer.status).toBe(408);
    expect(answer.ms).toBeGreaterThanOrEqual(250);
    expect(answer.ms).toBeLessThan(2000);
    await server.close();
  });
});
