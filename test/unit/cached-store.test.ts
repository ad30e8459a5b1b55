import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, createCachedStore, twakeAppAuth, twakeAuthErrorHandler } from '../../src';
import type { ApplicationStore } from '../../src';
import { basic } from '../helpers/create-server';
import { memoryApp } from '../helpers/memory-app';

/** A MemoryStore that counts the lookups reaching it. */
function countingStore(): { store: MemoryStore & ApplicationStore; calls: () => number } {
  const store = new MemoryStore();
  let calls = 0;
  const find = store.findApplication.bind(store);
  store.findApplication = (publicId, companyId) => {
    calls += 1;
    return find(publicId, companyId);
  };
  return { store, calls: () => calls };
}

describe('createCachedStore', () => {
  it('should treat an entry as expired when the clock gives something other than a number', async () => {
    const store = memoryApp('p', 'twk_k', ['c']);
    // A plausible mistake: a Date rather than milliseconds. Never fresh, so every decision asks the store.
    const cached = createCachedStore(store, { ttlMs: 60_000, now: () => new Date() as unknown as number });
    await cached.loadApplication('p', 'c');
    expect(cached.peekApplication('p')?.fresh).toBe(false);
    const app = express();
    app.use(twakeAppAuth({ store: cached, mode: 'development' }));
    app.get('/x', (_req, res) => res.send('through'));
    app.use(twakeAuthErrorHandler());
    expect((await request(app).get('/x?group_id=c').set('Authorization', basic('p', 'twk_k'))).status).toBe(200);
    store.add({ publicId: 'p', enabled: false, keys: [{ privateKey: 'twk_k' }], companies: ['c'] });
    expect((await request(app).get('/x?group_id=c').set('Authorization', basic('p', 'twk_k'))).status).toBe(401);
  });

  it('should count hits, misses and evictions by the size bound', async () => {
    const cached = createCachedStore(new MemoryStore(), { maxEntries: 2, ttlMs: 60_000 });
    for (const id of ['a', 'b', 'c']) await cached.findApplication(id, 'x');
    expect(cached.stats).toEqual({ hits: 0, misses: 3, evictions: 1 });
    expect(cached.findApplication('c', 'x')).toBeNull();
    expect(cached.stats).toEqual({ hits: 1, misses: 3, evictions: 1 });
    // Replacing an entry that is held evicts nothing.
    cached.invalidate('c');
    await cached.findApplication('b', 'x');
    expect(cached.stats.evictions).toBe(1);
  });

  it('should answer repeated lookups from memory within the TTL, then ask again', async () => {
    let now = 0;
    const { store, calls } = countingStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'k' }], companies: ['c1'] });
    const cached = createCachedStore(store, { ttlMs: 1000, now: () => now });
    await cached.findApplication('app', 'c1');
    await cached.findApplication('app', 'c1');
    expect(calls()).toBe(1);
    now = 1000;
    await cached.findApplication('app', 'c1');
    expect(calls()).toBe(2);
  });

  it('should answer a hit synchronously, for a known and an unknown application alike', async () => {
    const { store } = countingStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'k' }], companies: ['c1'] });
    const cached = createCachedStore(store, { ttlMs: 1000, now: () => 0 });
    expect(cached.findApplication('app', 'c1')).toBeInstanceOf(Promise);
    expect(cached.findApplication('ghost', 'c1')).toBeInstanceOf(Promise);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cached.findApplication('app', 'c1')).toMatchObject({ publicId: 'app', installed: true });
    expect(cached.findApplication('ghost', 'c1')).toBeNull();
  });

  it('should cache negative answers and let them expire with the TTL', async () => {
    let now = 0;
    const { store, calls } = countingStore();
    const cached = createCachedStore(store, { ttlMs: 500, now: () => now });
    expect(await cached.findApplication('late', 'c1')).toBeNull();
    store.add({ publicId: 'late', keys: [{ privateKey: 'k' }], companies: ['c1'] });
    now = 499;
    expect(await cached.findApplication('late', 'c1')).toBeNull();
    expect(calls()).toBe(1);
    now = 500;
    expect((await cached.findApplication('late', 'c1'))?.installed).toBe(true);
  });

  it('should evict the least recently used entry at the maximum', async () => {
    const { store, calls } = countingStore();
    const cached = createCachedStore(store, { maxEntries: 2, ttlMs: 60_000 });
    await cached.findApplication('a', null);
    await cached.findApplication('b', null);
    await cached.findApplication('a', null); // a is now the most recent
    await cached.findApplication('c', null); // evicts b
    expect(cached.size).toBe(2);
    expect(calls()).toBe(3);
    await cached.findApplication('a', null);
    expect(calls()).toBe(3);
    await cached.findApplication('b', null);
    expect(calls()).toBe(4);
    expect(cached.size).toBe(2);
  });

  it('should stay at its maximum under many distinct lookups', async () => {
    const { store } = countingStore();
    const cached = createCachedStore(store, { maxEntries: 100, ttlMs: 60_000 });
    for (let i = 0; i < 1000; i += 1) await cached.findApplication(`app-${i}`, `c-${i}`);
    expect(cached.size).toBe(100);
  });

  it('should forget every company of an application on invalidate, and only that application', async () => {
    const { store, calls } = countingStore();
    for (const id of ['a', 'b']) store.add({ publicId: id, keys: [{ privateKey: 'k' }], companies: ['c1'] });
    const cached = createCachedStore(store, { ttlMs: 60_000 });
    for (const id of ['a', 'b']) for (const company of ['c1', 'c2']) await cached.findApplication(id, company);
    expect(calls()).toBe(4);
    cached.invalidate('a');
    // Left: application 'b' and its two installations, and application 'a' held stale (it only vouches).
    expect(cached.size).toBe(4);
    expect(cached.peekApplication('a')).toEqual({ record: expect.objectContaining({ publicId: 'a' }), fresh: false });
    expect(cached.peekApplication('b')?.fresh).toBe(true);
    await cached.findApplication('a', 'c1');
    await cached.findApplication('b', 'c1');
    expect(calls()).toBe(5);
  });

  it('should answer an unknown public id from memory whatever the company (one query per TTL)', async () => {
    const { store, calls } = countingStore();
    const cached = createCachedStore(store, { ttlMs: 60_000 });
    for (let i = 0; i < 100; i += 1) expect(await cached.findApplication('ghost', `company-${i}`)).toBeNull();
    expect(calls()).toBe(1);
  });

  it('should bound unknown ids, applications and installations separately by maxEntries', async () => {
    const { store } = countingStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'k' }], companies: [] });
    const cached = createCachedStore(store, { maxEntries: 50, ttlMs: 60_000 });
    for (let i = 0; i < 1000; i += 1) await cached.findApplication(`ghost-${i}`, 'c1');
    for (let i = 0; i < 1000; i += 1) await cached.findInstallation('app', `company-${i}`);
    // Each set at its own bound: 50 unknown public ids, the one application, 50 companies it is not
    // installed in (installations proper have a set of their own, untouched here).
    expect(cached.size).toBe(50 + 1 + 50);
    expect(cached.peekApplication('app')?.fresh).toBe(true);
  });

  it('should evict in constant time: a million unknown public ids at a cap of 100,000 in seconds, not minutes', async () => {
    const cached = createCachedStore({ findApplication: () => null }, { maxEntries: 100_000, ttlMs: 60_000 });
    const started = Date.now();
    for (let i = 0; i < 1_000_000; i += 1) await cached.findApplication(`ghost-${i}`, 'c1');
    expect(cached.size).toBe(100_000);
    expect(cached.stats.evictions).toBe(900_000);
    // About 5 s alone on the development machine; a linear eviction would take many minutes. The bound is
    // loose because CI runs suites side by side on two cores.
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 60_000);

  it('should not cache an answer fetched before an invalidation that happened meanwhile', async () => {
    let release: () => void = () => undefined;
    const slow: ApplicationStore = {
      findApplication: () => new Promise((resolve) => (release = () => resolve(null))),
    };
    const cached = createCachedStore(slow, { ttlMs: 60_000 });
    const pending = cached.findApplication('a', null);
    cached.invalidate('a');
    release();
    await pending;
    expect(cached.size).toBe(0);
  });

  it('should still compare digests on a cache hit: a wrong key on a cached application is a 401', async () => {
    const { store, calls } = countingStore();
    store.add({ publicId: 'app', keys: [{ privateKey: 'right' }], companies: ['c1'] });
    const app = express();
    app.use(twakeAppAuth({ store: createCachedStore(store, { ttlMs: 60_000 }), mode: 'development' }));
    app.get('/', (_req, res) => void res.json({ ok: true }));
    app.use(twakeAuthErrorHandler());
    expect((await request(app).get('/?group_id=c1').set('Authorization', basic('app', 'right'))).status).toBe(200);
    const wrong = await request(app).get('/?group_id=c1').set('Authorization', basic('app', 'wrong'));
    expect(wrong.status).toBe(401);
    expect(calls()).toBe(1);
  });

  it('should keep applications stale after clear, never answering from them, and forget unknown ids', async () => {
    const { store, calls } = countingStore();
    store.add({ publicId: 'a', keys: [{ privateKey: 'k' }], companies: ['c1'] });
    const cached = createCachedStore(store, { ttlMs: 60_000 });
    await cached.findApplication('a', 'c1');
    await cached.findApplication('nobody', null);
    cached.clear();
    expect(cached.peekApplication('a')?.fresh).toBe(false);
    expect(cached.peekApplication('nobody')).toBeUndefined();
    // A stale application is looked up again before it answers anything.
    await cached.findApplication('a', 'c1');
    expect(calls()).toBe(3);
    expect(cached.peekApplication('a')?.fresh).toBe(true);
  });

  it('should warm: hold the applications named, stale, up to maxEntries, skipping unknown ids', async () => {
    const { store, calls } = countingStore();
    for (const id of ['a', 'b', 'c']) store.add({ publicId: id, keys: [{ privateKey: 'k' }] });
    const cached = createCachedStore(store, { ttlMs: 60_000, maxEntries: 2 });
    expect(await cached.warm(['a', 'nobody', 'b', 'c'])).toBe(2);
    expect(cached.peekApplication('a')?.fresh).toBe(false);
    expect(cached.peekApplication('b')?.fresh).toBe(false);
    expect(cached.peekApplication('c')).toBeUndefined();
    expect(cached.peekApplication('nobody')).toBeUndefined();
    expect(calls()).toBe(4);
  });

  it('should refuse bad options', () => {
    expect(() => createCachedStore(new MemoryStore(), { maxEntries: 0 })).toThrow(TypeError);
    expect(() => createCachedStore(new MemoryStore(), { ttlMs: -1 })).toThrow(TypeError);
  });
});
