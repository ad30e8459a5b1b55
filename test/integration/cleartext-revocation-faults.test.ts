// Regression: a database error during cleartext-key revocation was dropped silently (the first lookup and
// the lookups after revoking): nothing revoked, nothing reported, nothing retried. A real SQLite database,
// with its lookups failing for a while (fault injection in front of the real Prisma store).
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createAdmin, createCachedStore, createPrismaStore, type ApplicationStore, type CleartextKeyEvent } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { eventually, settle } from '../helpers/eventually';
import { expectProblem } from '../helpers/expect-problem';
import { useTestDatabase } from '../helpers/use-test-database';

describe('a database failing during cleartext-key revocation (SQLite)', () => {
  const database = useTestDatabase('sqlite');

  /** The validator over the real store, whose lookups fail while `down` is set; events and failures recorded. */
  async function setUp() {
    const admin = createAdmin(database().prisma);
    const created = await admin.createApplication({ name: 'Careless' });
    await admin.install(created.publicId, 'c1');
    const real = createPrismaStore(database().prisma);
    // `answered`: lookups the database answered, so that a test can see a retry happen.
    const state = { down: false, answered: 0 };
    const faulty: ApplicationStore = {
      findApplication: async (publicId, companyId) => {
        if (state.down) throw new Error('database down');
        const record = await real.findApplication(publicId, companyId);
        state.answered += 1;
        return record;
      },
      revokeKey: real.revokeKey,
    };
    const revoked: CleartextKeyEvent[] = [];
    const failures: Array<{ event: CleartextKeyEvent; willRetry: boolean; message: string }> = [];
    const store = createCachedStore(faulty, { ttlMs: 60_000 });
    const options = {
      store,
      revokeKeysSeenInCleartext: true,
      onCleartextKeyRevoked: (event: CleartextKeyEvent) => void revoked.push(event),
      // The store's failure arrives as a 503 store_unavailable whose cause is the database's error.
      onCleartextRevocationFailed: (event: CleartextKeyEvent, error: unknown, willRetry: boolean) =>
        void failures.push({ event, willRetry, message: `${(error as Error).message}: ${((error as Error).cause as Error | undefined)?.message}` }),
    };
    const plain = createServer({ ...options, mode: 'production' });
    const secure = createServer({ ...options, mode: 'production', isSecure: () => true });
    const call = (app: typeof plain) => request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic(created.publicId, created.privateKey));
    return { created, state, revoked, failures, plain, secure, call };
  }

  it('reports a failed first lookup, tries again, and revokes once the database answers', async () => {
    const { created, state, revoked, failures, plain, secure, call } = await setUp();
    state.down = true;
    expectProblem(await call(plain), 403, 'https_required');
    await eventually(() => expect(failures).toEqual([{ event: { publicId: created.publicId, applicationId: '', keyId: '' }, willRetry: true, message: 'Authentication store unavailable: database down' }]));
    expect(revoked).toEqual([]);
    state.down = false;
    // The first retry is due after 1 s.
    await eventually(() => expect(revoked).toEqual([{ publicId: created.publicId, applicationId: created.id, keyId: expect.any(String) }]), 3000);
    expectProblem(await call(secure), 401, 'invalid_credentials');
  });

  it('reports a failed lookup after revoking (the search for other rows holding the key) and tries it again', async () => {
    const { created, state, revoked, failures, plain, secure, call } = await setUp();
    // Held fresh in the cache: the revocation needs no first lookup, only the one after it.
    expect((await call(secure)).status).toBe(200);
    state.down = true;
    expectProblem(await call(plain), 403, 'https_required');
    await eventually(() => expect(revoked).toHaveLength(1));
    await eventually(() => expect(failures).toEqual([{ event: { publicId: created.publicId, applicationId: '', keyId: '' }, willRetry: true, message: 'Authentication store unavailable: database down' }]));
    const answeredBefore = state.answered;
    state.down = false;
    // The retry (due after 1 s) looks again, finds the key revoked everywhere: nothing more to report.
    await eventually(() => expect(state.answered).toBeGreaterThan(answeredBefore), 3000);
    await settle(100);
    expect(revoked).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expectProblem(await call(secure), 401, 'invalid_credentials');
  });
});
