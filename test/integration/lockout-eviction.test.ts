// Regression for a lockout by eviction: with more applications than the cache holds, a stranger sending
// wrong keys for other applications' public ids (public ids are not secret) evicted a recently verified
// application, then, over its address's failure budget, got that application's correct key answered 429.
// Real Express, a real SQLite database, addresses through X-Forwarded-For from a trusted proxy.
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createAdmin, createCachedStore, createPrismaStore } from '../../src';
import { basicAuthorization } from '../../src/testing';
import { createServer } from '../helpers/create-server';
import { useTestDatabase } from '../helpers/use-test-database';

describe('a verified application and a stranger evicting it (SQLite, cache of 2)', () => {
  const database = useTestDatabase('sqlite');
  const apps: Array<{ publicId: string; privateKey: string }> = [];

  beforeAll(async () => {
    const admin = createAdmin(database().prisma);
    for (let i = 0; i < 5; i += 1) {
      const created = await admin.createApplication({ name: `App ${i}` });
      await admin.install(created.publicId, 'acme');
      apps.push(created);
    }
  });

  it("answers the correct key 200 from the stranger's address, and its wrong keys 429", async () => {
    const store = createCachedStore(createPrismaStore(database().prisma), { maxEntries: 2, ttlMs: 60_000 });
    const app = createServer({ store, throttle: { failureLimit: 20 } });
    app.set('trust proxy', 'loopback');
    const call = (who: { publicId: string }, key: string, ip: string) =>
      request(app).get('/api/v1/whoami?group_id=acme').set('Authorization', basicAuthorization(who.publicId, key)).set('X-Forwarded-For', ip);
    const [victim, ...others] = apps as [{ publicId: string; privateKey: string }, ...Array<{ publicId: string; privateKey: string }>];
    expect((await call(victim, victim.privateKey, '10.0.0.9')).status).toBe(200);
    // Each wrong key for another public id is a lookup that fills the cache: the victim is evicted.
    for (const other of others) expect((await call(other, 'twk_wrong', '10.0.0.1')).status).toBe(401);
    for (let i = 0; i < 30; i += 1) await call(others[i % others.length] as { publicId: string }, 'twk_wrong', '10.0.0.1');
    expect((await call(victim, 'twk_wrong', '10.0.0.1')).status).toBe(429);
    expect((await call(victim, victim.privateKey, '10.0.0.1')).status).toBe(200);
    expect((await call(victim, victim.privateKey, '10.0.0.1')).status).toBe(200);
  });
});
