// A Bearer token dies with its key on every server process: rotated out (no grace), its token is refused at
// forward-auth within the Basic bounds (1 s on PostgreSQL through the change notifications, 2 s on SQLite
// through the cache TTL), although the token itself would live an hour.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { digestKey } from '../../src';
import { committedAt } from '../helpers/committed';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';
import { cliJson, startServer, type ServerProcess } from '../helpers/processes';

const ROUNDS = 3;
const BOUND_MS = { postgresql: 1000, sqlite: 2000 } as const;

describe.each(testProviders())('a token on 2 server processes on one %s database', (provider) => {
  let database: TestDatabase;
  let servers: ServerProcess[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    env = { DATABASE_URL: database.url };
    // PostgreSQL: a TTL of a minute, so that only the notifications can explain the bound. SQLite: the default TTL.
    const cache = provider === 'postgresql' ? { CACHE_TTL_MS: '60000' } : {};
    servers = await Promise.all([0, 1].map(() => startServer({ ...env, ...cache, NODE_ENV: 'development', JWT_SECRET: 'a-jwt-secret-shared-with-twake-of-32-bytes-or-more' })));
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.destroy();
  });

  it(`is refused at forward-auth within ${BOUND_MS[provider]} ms once its key is rotated out`, async () => {
    const created = await cliJson<{ publicId: string; privateKey: string }>(['app', 'create', '--name', 'Fleet', '--capabilities', 'write:messages'], env);
    await cliJson(['app', 'install', created.publicId, '--company', 'acme'], env);
    const verify = async (server: ServerProcess, token: string) =>
      (await fetch(`${server.url}/auth/verify`, { headers: { Authorization: `Bearer ${token}`, 'X-Original-URI': '/api/messages/v1/companies/acme/threads', 'X-Original-Method': 'POST' } })).status;
    let key = created.privateKey;
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const login = await fetch(`${servers[0]?.url}/api/console/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: created.publicId, secret: key }) });
      expect(login.status).toBe(200);
      const token = ((await login.json()) as { resource: { access_token: { value: string } } }).resource.access_token.value;
      for (const server of servers) expect(await verify(server, token)).toBe(204);
      const current = digestKey(key);
      let rotated = { privateKey: '' };
      const changedAt = await committedAt(
        env.DATABASE_URL as string,
        created.publicId,
        null,
        (record) => record?.keys.some((stored) => stored.digest.equals(current) && stored.expiresAt !== null) === true,
        async () => (rotated = await cliJson<{ privateKey: string }>(['app', 'rotate-key', created.publicId], env)),
      );
      await Promise.all(
        servers.map(async (server) => {
          while ((await verify(server, token)) !== 401) {
            if (Date.now() - changedAt > 5000) throw new Error('the token outlived its key by 5 s');
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          delays.push(Date.now() - changedAt);
        }),
      );
      key = rotated.privateKey;
      // The new key's logins reach every instance within the same bound.
      await new Promise((resolve) => setTimeout(resolve, BOUND_MS[provider]));
    }
    delays.sort((a, b) => a - b);
    expect(delays[delays.length - 1]).toBeLessThanOrEqual(BOUND_MS[provider]);
  });
});
