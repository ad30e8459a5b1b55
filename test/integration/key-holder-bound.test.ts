// Regression for a key holder sending every request to the database: naming a new group_id on each
// request cost one lookup each and evicted other applications' cached installations. Real Express, a
// real SQLite database behind the cache, lookups counted where they reach the database.
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createAdmin, createCachedStore, createPrismaStore, type ApplicationStore } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { useTestDatabase } from '../helpers/use-test-database';

const FLOOD = 1000;

describe('one key holder naming a new company on every request (SQLite)', () => {
  const database = useTestDatabase('sqlite');
  let holder: { publicId: string; privateKey: string };
  let other: { publicId: string; privateKey: string };

  beforeAll(async () => {
    const admin = createAdmin(database().prisma);
    holder = await admin.createApplication({ name: 'Holder' });
    other = await admin.createApplication({ name: 'Other' });
    await admin.install(holder.publicId, 'acme');
    await admin.install(other.publicId, 'other-co');
  });

  /** The app behind a cache small enough for the flood to evict everything, counting lookups per public id. */
  function build(options: { notInstalledLimit?: false } = {}) {
    const prismaStore = createPrismaStore(database().prisma);
    const lookups = new Map<string, number>();
    const counting: ApplicationStore = {
      findApplication: (publicId, companyId) => {
        lookups.set(publicId, (lookups.get(publicId) ?? 0) + 1);
        return prismaStore.findApplication(publicId, companyId);
      },
    };
    const store = createCachedStore(counting, { maxEntries: 100, ttlMs: 60_000 });
    const app = createServer({ store, throttle: false, ...options });
    const call = (who: { publicId: string; privateKey: string }, company: string) =>
      request(app).get(`/api/v1/whoami?group_id=${encodeURIComponent(company)}`).set('Authorization', basic(who.publicId, who.privateKey));
    return { app, call, lookups: (who: { publicId: string }) => lookups.get(who.publicId) ?? 0, store };
  }

  it(`costs fewer than 50 lookups per ${FLOOD} requests, and leaves other applications' entries alone`, async () => {
    const { call, lookups, store } = build();
    expect((await call(other, 'other-co')).status).toBe(200);
    expect((await call(holder, 'acme')).status).toBe(200);
    const otherBefore = lookups(other);
    const hitsBefore = store.stats.hits;
    const statuses = new Map<number, number>();
    for (let i = 0; i < FLOOD; i += 1) {
      const response = await call(holder, `company-${i}`);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (i === FLOOD - 1) expectProblem(response, 429, 'too_many_not_installed');
    }
    // The default budget: 30 companies found not installed per 60 s, then 429 without a lookup.
    expect(Object.fromEntries(statuses)).toEqual({ 403: 30, 429: FLOOD - 30 });
    // One lookup for acme (the application with its installation), then one per company counted.
    expect(lookups(holder)).toBe(1 + 30);
    // The other application's installation is still held: answered from memory, no lookup.
    expect((await call(other, 'other-co')).status).toBe(200);
    expect(lookups(other)).toBe(otherBefore);
    expect(store.stats.hits).toBeGreaterThan(hitsBefore);
    // The holder's own held installation still answers, and a company counted already is answered again.
    expect((await call(holder, 'acme')).status).toBe(200);
    expectProblem(await call(holder, 'company-0'), 403, 'not_installed');
  });

  it('without the budget (notInstalledLimit: false) every request is a lookup, and still evicts only answers of its kind', async () => {
    const { call, lookups } = build({ notInstalledLimit: false });
    expect((await call(other, 'other-co')).status).toBe(200);
    const otherBefore = lookups(other);
    for (let i = 0; i < 200; i += 1) await call(holder, `company-${i}`);
    expect(lookups(holder)).toBeGreaterThanOrEqual(200);
    expect((await call(other, 'other-co')).status).toBe(200);
    expect(lookups(other)).toBe(otherBefore);
  });
});
