// Regression for a lockout: a correct key answered 429, without a lookup, after its cache entry was dropped
// (a change notification, a listener reconnect, a restart) while a stranger on the same address was over
// its failure budget. The real server on real PostgreSQL; a revoked key must still be refused within the
// documented bound.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Client } from 'pg';
import { createEmptyDatabaseUrl } from '../helpers/databases';
import { describeOnPostgres } from '../helpers/describe-on-postgres';
import { cliJson, startServer, type ServerProcess } from '../helpers/processes';
import { basicAuthorization } from '../../src/testing';

/** The README's bound for a change to reach a server on PostgreSQL. */
const PROPAGATION_BOUND_MS = 1000;
const FAILURE_LIMIT = 5;

describeOnPostgres('a correct key while a stranger on its address is over the failure budget (PostgreSQL)', () => {
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  let server: ServerProcess;
  let app: { publicId: string; privateKey: string };

  const start = () => startServer({ ...env, NODE_ENV: 'development', AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT), AUTH_PUBLIC_ID_FAILURE_LIMIT: '100000' });
  const callAs = async (publicId: string, key: string) => (await fetch(`${server.url}/api/v1/auth/test?group_id=acme`, { headers: { Authorization: basicAuthorization(publicId, key) } })).status;
  const call = (key: string) => callAs(app.publicId, key);
  /** The same call from another loopback address (another client). */
  const callFrom = (localAddress: string, key: string) =>
    new Promise<number>((resolve, reject) => {
      const headers = { Authorization: basicAuthorization(app.publicId, key) };
      http.get(`${server.url}/api/v1/auth/test?group_id=acme`, { localAddress, headers }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });
  // The stranger names public ids of its own (a scanner, another client behind the same NAT), so that its
  // failures never load the application into the cache.
  const stranger = () => callAs(`stranger-${randomUUID()}`, 'wrong-key');
  async function strangerOverBudget(): Promise<void> {
    for (let i = 0; i <= FAILURE_LIMIT; i += 1) await stranger();
    expect(await stranger()).toBe(429);
  }
  /** The correct key, asked `times` times over 1.5 s while the stranger keeps failing: every answer. */
  async function correctKeyAnswers(key: string, times = 8): Promise<number[]> {
    const answers: number[] = [];
    for (let i = 0; i < times; i += 1) {
      expect(await stranger()).toBe(429);
      answers.push(await call(key));
      await new Promise((resolve) => setTimeout(resolve, 1500 / times));
    }
    return answers;
  }

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl('postgresql');
    env = { DATABASE_URL: database.url };
    drop = database.drop;
    server = await start();
    app = await cliJson(['app', 'create', '--name', 'Lockout'], env);
    await cliJson(['app', 'install', app.publicId, '--company', 'acme'], env);
    expect(await call(app.privateKey)).toBe(200);
    await strangerOverBudget();
  });

  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  it('answers 200 after an unrelated change to the application (installed in another company)', async () => {
    await cliJson(['app', 'install', app.publicId, '--company', 'elsewhere'], env);
    expect(await correctKeyAnswers(app.privateKey)).toEqual(Array(8).fill(200));
  });

  it("answers 200 after the change listener's connection is killed and comes back", async () => {
    const admin = new Client({ connectionString: env.DATABASE_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'twake-app-auth change listener'");
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    expect(await correctKeyAnswers(app.privateKey)).toEqual(Array(8).fill(200));
  });

  it('answers 200 after a restart, once the stranger is over budget again', async () => {
    await server.stop();
    server = await start();
    await strangerOverBudget();
    expect(await correctKeyAnswers(app.privateKey)).toEqual(Array(8).fill(200));
  });

  it('still refuses a key revoked meanwhile within the propagation bound (429 on the throttled address, 401 elsewhere), and lets the new key through', async () => {
    const rotated = await cliJson<{ privateKey: string }>(['app', 'rotate-key', app.publicId], env);
    const revokedAt = Date.now();
    let answer = await call(app.privateKey);
    while (answer === 200 && Date.now() - revokedAt < PROPAGATION_BOUND_MS) answer = await call(app.privateKey);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    // A wrong key from an address over its budget is answered 429, whatever made it wrong.
    expect(answer).toBe(429);
    expect(await callFrom('127.0.0.2', app.privateKey)).toBe(401);
    expect(await callFrom('127.0.0.2', rotated.privateKey)).toBe(200);
    expect(await correctKeyAnswers(rotated.privateKey, 3)).toEqual([200, 200, 200]);
  });
});
