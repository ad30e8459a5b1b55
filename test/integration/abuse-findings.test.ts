// Adversarial abuse cases found by attacking the validator from outside: cache eviction, stampedes, listeners, probes (finding 5, timing, is pair dc of bench/timing.js, run by test/timing/timing.test.ts).
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { MemoryStore, createCachedStore, type ApplicationStore } from '../../src';
import { readServerConfig } from '../../server/src/server/server-config';
import { basic, createServer } from '../helpers/create-server';
import { listenOnFreePort } from '../helpers/listen';
import { memoryApp } from '../helpers/memory-app';
import { testApp } from '../helpers/test-app';

interface Answer {
  status: number;
  body: string;
}

/** A real HTTP call, from a chosen loopback source address (127.0.0.0/8 is all local on Linux). */
function call(port: number, options: { path?: string; authorization?: string; from?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization !== undefined) headers.Authorization = options.authorization;
    const req = http.request(
      { host: '127.0.0.1', port, path: options.path ?? '/api/v1/whoami?group_id=c1', localAddress: options.from, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('regression for finding 1: negative cache entries evicted held applications, so a correct key met a 429', () => {
  it('an attacker fills the lookup cache with unknown public ids from other addresses; the correct key from a shared, over-budget address still passes', async () => {
    const memory = memoryApp('victim');
    // Small bounds so that the case runs fast; the defaults (10,000 entries, 100 failures) need 100 addresses.
    const store = createCachedStore(memory, { maxEntries: 50, ttlMs: 60_000 });
    const server = await listenOnFreePort(createServer({ store, throttle: { failureLimit: 5 } }));
    try {
      const shared = '127.0.0.100'; // a NAT or proxy shared by the victim and the attacker
      expect((await call(server.port, { authorization: basic('victim', 'right'), from: shared })).status).toBe(200);
      // The shared address spends its failure budget: the held application still passes (as documented).
      for (let i = 0; i < 5; i += 1) await call(server.port, { authorization: 'Basic !!!', from: shared });
      expect((await call(server.port, { authorization: basic('victim', 'right'), from: shared })).status).toBe(200);
      // From other addresses, each within its own budget, unknown public ids: one negative entry each.
      for (let address = 1; address <= 12; address += 1) {
        for (let i = 0; i < 5; i += 1) await call(server.port, { authorization: basic(randomUUID(), 'x'), from: `127.0.1.${address}` });
      }
      // The victim's correct key still passes (it was seen seconds ago; it has no failure of its own).
      // Regression for finding 1: it got 429 too_many_failures, the application having been evicted by the
      // attacker's negative entries.
      expect((await call(server.port, { authorization: basic('victim', 'right'), from: shared })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('regression for finding 2: concurrent requests for one unknown public id each reached the database', () => {
  it('50 concurrent wrong keys for the same unknown public id cost one lookup, not 50', async () => {
    const memory = new MemoryStore();
    let lookups = 0;
    const slowCounting: ApplicationStore = {
      findApplication: async (publicId, companyId) => {
        lookups += 1;
        await new Promise((resolve) => setTimeout(resolve, 20)); // a database round trip
        return memory.findApplication(publicId, companyId);
      },
    };
    const store = createCachedStore(slowCounting, { ttlMs: 60_000 });
    const server = await listenOnFreePort(createServer({ store, throttle: { failureLimit: 1000 } }));
    try {
      const ghost = randomUUID();
      const answers = await Promise.all(Array.from({ length: 50 }, () => call(server.port, { authorization: basic(ghost, 'x') })));
      expect(answers.every((answer) => answer.status === 401)).toBe(true);
      // One lookup per public id and TTL (docs/security.md): the first, shared by those in flight, then the
      // cached answer. Regression for finding 2: there was one per request in flight.
      expect(lookups).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('regression for finding 3: a throwing revocation listener turned the cleartext 403 into a 503', () => {
  function revocableStore(failRevocation: boolean): ApplicationStore {
    const memory = memoryApp();
    return {
      findApplication: (publicId, companyId) => memory.findApplication(publicId, companyId),
      revokeKey: async () => {
        if (failRevocation) throw new Error('database down');
      },
    };
  }

  it('onCleartextKeyRevoked throws: the answer must stay 403 https_required (as for a wrong key)', async () => {
    const server = await listenOnFreePort(
      createServer({
        store: revocableStore(false),
        mode: 'production',
        revokeKeysSeenInCleartext: true,
        onCleartextKeyRevoked: () => {
          throw new Error('log sink down');
        },
      }),
    );
    try {
      const wrong = await call(server.port, { authorization: basic('app', 'wrong') });
      const right = await call(server.port, { authorization: basic('app', 'right') });
      expect(wrong.status).toBe(403);
      // Regression for finding 3: this was 503 store_unavailable, which told the sender its key was valid.
      expect(right.status).toBe(403);
      expect(right.body).toBe(wrong.body);
    } finally {
      await server.close();
    }
  });

  it('onCleartextRevocationFailed throws: the answer must stay 403 https_required', async () => {
    const server = await listenOnFreePort(
      createServer({
        store: revocableStore(true),
        mode: 'production',
        revokeKeysSeenInCleartext: true,
        onCleartextRevocationFailed: () => {
          throw new Error('alerting down');
        },
      }),
    );
    try {
      const wrong = await call(server.port, { authorization: basic('app', 'wrong') });
      const right = await call(server.port, { authorization: basic('app', 'right') });
      expect(right.status).toBe(403);
      expect(right.body).toBe(wrong.body);
    } finally {
      await server.close();
    }
  });
});

describe('regression for finding 4: REVOKE_CLEARTEXT_KEYS started with TRUST_PROXY=0, which trusts no proxy', () => {
  it('TRUST_PROXY=0 (zero hops: X-Forwarded-Proto never believed) is refused like an unset TRUST_PROXY', () => {
    expect(() => readServerConfig({ REVOKE_CLEARTEXT_KEYS: 'true' })).toThrow(/REVOKE_CLEARTEXT_KEYS=true needs/);
    // Regression for finding 4: this was accepted, and behind a TLS-terminating proxy every HTTPS call was
    // then judged plain HTTP and its key revoked.
    expect(() => readServerConfig({ REVOKE_CLEARTEXT_KEYS: 'true', TRUST_PROXY: '0' })).toThrow(/REVOKE_CLEARTEXT_KEYS=true needs/);
  });
});


describe('regression for finding 6: /readyz probes from anyone', () => {
  it('50 concurrent unauthenticated readiness probes do not make 50 database queries', async () => {
    let queries = 0;
    const app = testApp({
      store: new MemoryStore(),
      checkReady: async () => {
        queries += 1; // the server runs SELECT 1 here; a busy database takes a while
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    const server = await listenOnFreePort(app);
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => call(server.port, { path: '/readyz' })));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      // Concurrent probes share the check under way (sequential ones each check: readiness must be current).
      // How many of the 50 arrive after a check ended depends on the machine: at least one check, a few at most.
      expect(queries).toBeGreaterThanOrEqual(1);
      expect(queries).toBeLessThanOrEqual(5);
    } finally {
      await server.close();
    }
  });
});

describe('regression for finding 7: a key of a disabled application sent in clear text was not revoked', () => {
  it('REVOKE_CLEARTEXT_KEYS: the leaked key must be revoked, or it works again when the application is enabled', async () => {
    const memory = new MemoryStore();
    memory.add({ publicId: 'app', id: 'app-id', enabled: false, keys: [{ id: 'k1', privateKey: 'right' }], companies: ['c1'] });
    const revoked: string[] = [];
    const store: ApplicationStore = {
      findApplication: (publicId, companyId) => memory.findApplication(publicId, companyId),
      revokeKey: async (_applicationId, keyId) => void revoked.push(keyId),
    };
    const server = await listenOnFreePort(createServer({ store, mode: 'production', revokeKeysSeenInCleartext: true }));
    try {
      expect((await call(server.port, { authorization: basic('app', 'right') })).status).toBe(403);
      expect(revoked).toEqual(['k1']);
    } finally {
      await server.close();
    }
  });
});
