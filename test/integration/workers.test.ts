// WORKERS=2: two processes answer on one port, a stop ends them all, a start that fails exits 1 with one
// line, a killed worker is replaced, and the failure throttle keeps its bound with and without Redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { basicAuthorization } from '../../src/testing';
import { createAdmin } from '../../src/admin/admin';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { startServer, type ServerProcess } from '../helpers/processes';

const CLI = join(__dirname, '..', '..', 'server', 'dist', 'cli', 'main.js');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FAILURE_LIMIT = 4;
/** Ready once the primary says every worker serves; three processes load, so a busy machine gets longer. */
const START = { ready: /"workers":2,"workerPids"/, timeoutMs: 30_000 };

/** GET on a connection of its own (no keep-alive): the cluster hands each connection to the next worker. */
function get(server: ServerProcess, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Statuses of `count` failed authentications in a row, each on a new connection, from one address. */
async function failures(server: ServerProcess, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 1) statuses.push((await get(server, '/api/v1/auth/test?group_id=acme', { Authorization: basicAuthorization(`stranger-${randomUUID()}`, 'wrong-key') })).status);
  return statuses;
}

const parsed = (server: ServerProcess) => server.logs.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
const servingPids = (server: ServerProcess) => (parsed(server).find((line) => Array.isArray(line.workerPids))?.workerPids ?? []) as number[];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let databases: TestDatabase[] = [];
let app: { publicId: string; privateKey: string };
/** WORKERS=2 counting in memory, and WORKERS=2 counting in Redis. */
let server: ServerProcess;
let redisServer: ServerProcess;

beforeAll(async () => {
  databases = await Promise.all([createTestDatabase('sqlite'), createTestDatabase('sqlite')]);
  const [memory, redis] = databases as [TestDatabase, TestDatabase];
  const admin = createAdmin(memory.prisma);
  app = await admin.createApplication({ name: 'Workers' });
  await admin.install(app.publicId, 'acme');
  const common = { NODE_ENV: 'development', WORKERS: '2', AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT) };
  // One after the other: six processes loading at once on a busy 2-core machine start slower than in turn.
  server = await startServer({ ...common, DATABASE_URL: memory.url }, START);
  redisServer = await startServer({ ...common, DATABASE_URL: redis.url, REDIS_URL, REDIS_KEY_PREFIX: `twake-app-auth-test-${randomUUID()}`, REDIS_TIMEOUT_MS: '1000', ASSERTION_SECRET: 'a-shared-assertion-secret-of-32-bytes-or-more' }, START);
});
afterAll(async () => {
  await Promise.all([server, redisServer].map((each) => (each?.child.exitCode === null ? each.stop() : undefined)));
  await Promise.all(databases.map((database) => database.destroy()));
});

describe('serve with WORKERS=2, without Redis', () => {
  it('answers on one port from two worker processes, and /metrics counts both', async () => {
    const pids = servingPids(server);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(server.child.pid);
    const authorization = basicAuthorization(app.publicId, app.privateKey);
    for (let i = 0; i < 6; i += 1) expect((await get(server, '/api/v1/auth/test?group_id=acme', { Authorization: authorization })).status).toBe(200);
    await eventually(() => expect(parsed(server).filter((line) => line.msg === 'request' && line.path === '/api/v1/auth/test')).toHaveLength(6));
    const answeredBy = new Set(parsed(server).filter((line) => line.msg === 'request').map((line) => line.pid));
    expect([...answeredBy].sort()).toEqual([...pids].sort());
    // Whichever worker is scraped, the sum of both.
    const metrics = await get(server, '/metrics');
    expect(metrics.body).toMatch(/^twake_app_auth_decisions_total\{code="ok"\} 6$/m);
  });

  it('says at start that the counters are per worker, and keeps the total within the limit + WORKERS − 1', async () => {
    expect(server.logs.filter((line) => line.includes('counters are per worker'))).toHaveLength(1);
    const statuses = await failures(server, 2 * FAILURE_LIMIT);
    const passed = statuses.filter((status) => status === 401).length;
    expect(passed).toBeLessThanOrEqual(FAILURE_LIMIT + 1);
    expect(passed).toBeGreaterThanOrEqual(Math.ceil(FAILURE_LIMIT / 2));
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });

  it('replaces a worker that is killed', async () => {
    const [victim, survivor] = servingPids(server) as [number, number];
    process.kill(victim, 'SIGKILL');
    const replacement = await eventually(() => {
      const line = parsed(server).find((each) => typeof each.workerPid === 'number' && /serving/.test(String(each.msg)) && ![victim, survivor].includes(each.workerPid));
      expect(line).toBeDefined();
      return line?.workerPid as number;
    }, 10_000);
    expect(server.logs.some((line) => line.includes('exited with SIGKILL; starting another'))).toBe(true);
    expect(alive(replacement)).toBe(true);
    expect((await get(server, '/healthz')).status).toBe(200);
  });

  it('on SIGTERM stops every worker and exits 0', async () => {
    const workers = parsed(server).flatMap((line) => (typeof line.workerPid === 'number' ? [line.workerPid] : []));
    expect(await server.stop()).toBe(0);
    expect(workers.filter(alive)).toEqual([]);
    expect(server.logs.filter((line) => line.includes('"msg":"stopped"'))).toHaveLength(3);
  });

  it('exits 1 with one line when the port is taken, however many workers fail', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const port = (taken.address() as AddressInfo).port;
      const child = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH, DATABASE_URL: databases[0]?.url, HOST: '127.0.0.1', PORT: String(port), WORKERS: '2', NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdout.resume();
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([`twake-app-auth: cannot listen on 127.0.0.1:${port}: EADDRINUSE`]);
    } finally {
      taken.close();
    }
  });
});

describe('serve with WORKERS=2 and REDIS_URL', () => {
  it('refuses with 429 after exactly the configured number of failures, counted across both workers', async () => {
    expect(redisServer.logs.some((line) => line.includes('counted in Redis for all 2 workers'))).toBe(true);
    expect(await failures(redisServer, FAILURE_LIMIT + 3)).toEqual([...Array<number>(FAILURE_LIMIT).fill(401), 429, 429, 429]);
    // Request lines are written in batches, at least every 200 ms.
    await eventually(() => expect(new Set(parsed(redisServer).filter((line) => line.msg === 'request').map((line) => line.pid)).size).toBe(2));
  });
});
