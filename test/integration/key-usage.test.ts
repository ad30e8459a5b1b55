// The server records when each key was last used (app list shows it), in batches, without emptying caches.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { CHANGE_CHANNEL } from '../../src';
import { basic } from '../helpers/create-server';
import { createEmptyDatabaseUrl, testProviders } from '../helpers/databases';
import { cliJson, startServer, type ServerProcess } from '../helpers/processes';

interface Listed {
  applications: Array<{ publicId: string; keys: Array<{ id: string; lastUsedAt: string | null }> }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testProviders())('last use of keys on %s', (provider) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(intervalSeconds: number) {
    const database = await createEmptyDatabaseUrl(provider);
    cleanups.push(database.drop);
    const env = { DATABASE_URL: database.url };
    const used = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Used'], env);
    const idle = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Idle'], env);
    for (const app of [used, idle]) await cliJson(['app', 'install', app.publicId, '--company', 'acme'], env);
    const server: ServerProcess = await startServer({ ...env, NODE_ENV: 'development', LAST_USED_INTERVAL_SECONDS: String(intervalSeconds) });
    cleanups.push(() => server.stop());
    const call = (publicId: string, key: string) =>
      fetch(`${server.url}/api/v1/auth/test?group_id=acme`, { headers: { authorization: basic(publicId, key) } }).then((response) => response.status);
    const lastUses = async (publicId: string) => {
      const listed = await cliJson<Listed>(['app', 'list'], env);
      return listed.applications.find((app) => app.publicId === publicId)?.keys.map((key) => key.lastUsedAt) ?? [];
    };
    return { env, server, used, idle, call, lastUses };
  }

  it('should write the last use of a key that let a request through, and of no other key', async () => {
    const { env, used, idle, call, lastUses } = await setUp(1);
    expect(await lastUses(used.publicId)).toEqual([null]);

    // On PostgreSQL, writing last_used_at must not notify the instances (it changes no decision).
    const notifications: string[] = [];
    if (provider === 'postgresql') {
      const listener = new Client({ connectionString: env.DATABASE_URL });
      await listener.connect();
      cleanups.push(() => listener.end());
      listener.on('notification', (message) => notifications.push(message.payload ?? ''));
      await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
    }

    const before = Date.now();
    expect(await call(used.publicId, used.privateKey)).toBe(200);
    expect(await call(idle.publicId, `${idle.privateKey}x`)).toBe(401);
    let written: Array<string | null> = [null];
    for (let waited = 0; written[0] === null && waited < 5000; waited += 200) {
      await sleep(200);
      written = await lastUses(used.publicId);
    }
    expect(written[0]).not.toBeNull();
    expect(new Date(written[0] as string).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(written[0] as string).getTime()).toBeLessThanOrEqual(Date.now());
    expect(await lastUses(idle.publicId)).toEqual([null]);
    await sleep(300);
    expect(notifications).toEqual([]);
  }, 30_000);

  it('should write what is pending when the server stops', async () => {
    const { server, used, call, lastUses } = await setUp(3600);
    expect(await call(used.publicId, used.privateKey)).toBe(200);
    expect(await server.stop()).toBe(0);
    expect((await lastUses(used.publicId))[0]).not.toBeNull();
  }, 30_000);
});
