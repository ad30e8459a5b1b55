// A real PostgreSQL that goes away mid-run: 503 store_unavailable while it is gone, service resumes by itself.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client } from 'pg';
import request from 'supertest';
import { createPrismaStore } from '../../src';
import { openDatabase, type Database } from '../../server/src/database/database';
import { basic, createServer } from '../helpers/create-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { describeOnPostgres } from '../helpers/describe-on-postgres';
import { expectProblem } from '../helpers/expect-problem';
import { seed, type Seed } from '../helpers/seed';
import { proxyInFront, type TcpProxy } from '../helpers/tcp-proxy';

describeOnPostgres('PostgreSQL failure', () => {
  let database: TestDatabase;
  let data: Seed;
  let proxy: TcpProxy;
  let proxied: Database;
  let app: ReturnType<typeof createServer>;

  const call = () => request(app).post('/api/v1/whoami').set('Authorization', basic(data.publicId, data.privateKey)).send({ group_id: data.company });

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    data = await seed(database.prisma);
    const inFront = await proxyInFront(database.url);
    proxy = inFront.proxy;
    proxied = openDatabase(inFront.url, { connectTimeoutMs: 1000, poolSize: 4 });
    app = createServer({ store: createPrismaStore(proxied.prisma) });
  });

  afterAll(async () => {
    await proxied.close().catch(() => undefined);
    await proxy.close();
    await database.destroy();
  });

  it('should answer 503 while the server is gone and 200 on the next request after it returns', async () => {
    expect((await call()).status).toBe(200);

    proxy.cut();
    for (let i = 0; i < 5; i += 1) expectProblem(await call(), 503, 'store_unavailable');

    proxy.restore();
    expect((await call()).status).toBe(200);
  });

  it('should answer 503 or 200 (never 401, never a crash) when the backends are terminated, then recover', async () => {
    expect((await call()).status).toBe(200);
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    } finally {
      await admin.end();
    }
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await call()).status);
    for (const status of statuses) expect([200, 503]).toContain(status);
    expect(statuses[statuses.length - 1]).toBe(200);
  });
});
