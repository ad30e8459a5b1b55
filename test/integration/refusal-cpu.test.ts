// Regressions for work an unauthenticated request could make the validator do: a quadratic regular
// expression in the route table's path reading, and Express 5 parsing a query of malformed escapes (an
// exception each) before any credential was checked. The worst paths and queries we can build cost a
// refused request well under a millisecond of CPU more than plain ones of the same length, through the
// real server (forward-auth and its own middleware route) and through the middleware with `routes`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createEmptyDatabaseUrl } from '../helpers/databases';
import { startServer, type ServerProcess } from '../helpers/processes';
import { mainThreadCpuMs, rawRequest } from '../helpers/raw-http';
import { MAX_ROUTE_PATH_LENGTH } from '../../src/twake/twake-v1';
import { MAX_BOUND_PATH_LENGTH } from '../../src/assertion/claims';

/** Runs that make a backtracking normaliser slow: each long run ends in something it must reject. */
const RUNS: Record<string, string> = {
  dots: '.',
  spaces: '%20',
  slashes: '/',
  'encoded dots': '%2e',
  semicolons: ';',
  backslashes: '%5C',
  'raw backslashes': '\\',
  mixed: '.%20%2e;/.\\%2F',
};

/** A request target of about `bytes` bytes: `/api/v1/` then the run, then a letter. */
function worstPath(run: string, bytes: number): string {
  return `/api/v1/messages/${run.repeat(Math.ceil(bytes / run.length)).slice(0, bytes)}x`;
}

// CPU a worst request may cost beyond a plain path of the same length sent the same way (a new connection
// each, about 0.2 to 1 ms here): the old code spent 15 ms on the shortest worst case and 250 ms on 16 KB.
const EXTRA_CPU_BOUND_MS = 1;
const REPEATS = 21;

/**
 * CPU milliseconds the process's main thread spent on each of `plain` and `worst`, sent in turn: the lower
 * quartile of each, since what disturbs a sample (a collection, the machine's other work) only adds to it.
 * A median moved by more than the bound once in a whole CI run.
 */
async function typicalCosts(pid: number, plain: () => Promise<number>, worst: () => Promise<number>, expectStatus: (status: number) => void): Promise<{ plain: number; worst: number }> {
  const costs = { plain: [] as number[], worst: [] as number[] };
  for (let i = 0; i < REPEATS; i += 1) {
    for (const [name, send] of [['plain', plain], ['worst', worst]] as const) {
      const before = mainThreadCpuMs(pid);
      expectStatus(await send());
      costs[name].push(mainThreadCpuMs(pid) - before);
    }
  }
  const lowerQuartile = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 4)] as number;
  return { plain: lowerQuartile(costs.plain), worst: lowerQuartile(costs.worst) };
}

// Just under the route table's limit (read in full), and over it (refused with 414, or by Node itself
// with 431, or a reset, past its header limit).
const SIZES = [MAX_ROUTE_PATH_LENGTH - 40, 16 * 1024, 64 * 1024];
const cases = Object.entries(RUNS).flatMap(([name, run]) => SIZES.map((bytes) => [name, bytes, run] as const));
const expectedStatuses = (bytes: number, headerLimit: number, pathLimit: number): number[] => (bytes > headerLimit - 200 ? [431, 0] : bytes > pathLimit ? [414] : [401]);

/** Measures, for each worst case, the CPU of `pid` on it and on a plain path as long, sent the same way. */
function expectCheapRefusals(target: () => { pid: number; port: number }, send: (port: number, path: string) => Promise<number>, headerLimit: number, pathLimit = MAX_ROUTE_PATH_LENGTH): void {
  beforeAll(async () => {
    const { port } = target();
    for (let i = 0; i < 20; i += 1) await send(port, '/api/v1/messages/save');
  });

  it.each(cases)('%s, %d bytes', async (_name, bytes, run) => {
    const { pid, port } = target();
    const path = worstPath(run, bytes);
    const plain = worstPath('a', bytes);
    const statuses = expectedStatuses(path.length, headerLimit, pathLimit);
    const costs = await typicalCosts(pid, () => send(port, plain), () => send(port, path), (status) => expect(statuses).toContain(status));
    expect(costs.plain).toBeGreaterThan(0);
    expect(costs.worst - costs.plain).toBeLessThan(EXTRA_CPU_BOUND_MS);
  });
}

/** Queries whose parsing throws, or may, at every pair; each compared with a plain query as long. */
const QUERY_PAIRS: Record<string, string> = { 'bad UTF-8': '%FF&', 'bad UTF-8 before group_id': '%FFgroup_id&', 'bad UTF-8 values': 'a=%FF&', 'bare %': '%&', 'bad UTF-8 with ;': '%ff;', 'near-alias keys': '%67roup_i%zz=1&', 'valid escapes': 'a=%41&' };
const QUERY_BYTES = 12 * 1024;
const queryOf = (pair: string) => `group_id=acme&${pair.repeat(Math.ceil(QUERY_BYTES / pair.length)).slice(0, QUERY_BYTES)}`;

function expectCheapQueries(target: () => { pid: number; port: number }, send: (port: number, query: string) => Promise<number>): void {
  it.each(Object.entries(QUERY_PAIRS))('query of %s, 12 KB', async (_name, pair) => {
    const { pid, port } = target();
    const costs = await typicalCosts(pid, () => send(port, queryOf('a=b&')), () => send(port, queryOf(pair)), (status) => expect(status).toBe(401));
    expect(costs.plain).toBeGreaterThan(0);
    expect(costs.worst - costs.plain).toBeLessThan(EXTRA_CPU_BOUND_MS);
  });
}

describe('worst paths through the real server (TWAKE_ROUTES=v1, the default)', () => {
  let server: ServerProcess;
  let drop: () => Promise<void>;
  const target = () => ({ pid: server.child.pid as number, port: server.port });

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl('sqlite');
    drop = database.drop;
    server = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'development' });
  });

  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  // Node's default header limit (16 KB) answers 431 to the longer ones before any of our code runs, and
  // forward-auth refuses an original path too long to bind in an assertion (414) before the credentials.
  describe('in the forward-auth path', () => expectCheapRefusals(target, (port, path) => rawRequest(port, `/auth/verify${path}`), 16 * 1024, MAX_BOUND_PATH_LENGTH));
  describe('in X-Original-URI', () => expectCheapRefusals(target, (port, path) => rawRequest(port, '/auth/verify', { 'X-Original-URI': path }), 16 * 1024, MAX_BOUND_PATH_LENGTH));
  // messages/save takes only POST: the method is sent apart (rawRequest sends GET), so that the query is read.
  describe('queries of forward-auth (its own, as Envoy sends them)', () => expectCheapQueries(target, (port, query) => rawRequest(port, `/auth/verify/api/v1/messages/save?${query}`, { 'X-Forwarded-Method': 'POST' })));
  describe('queries of X-Original-URI', () => expectCheapQueries(target, (port, query) => rawRequest(port, '/auth/verify', { 'X-Original-URI': `/api/v1/messages/save?${query}`, 'X-Original-Method': 'POST' })));
  describe('queries of the middleware route (/api/v1/auth/test)', () => expectCheapQueries(target, (port, query) => rawRequest(port, `/api/v1/auth/test?${query}`)));

  // Regression: every copy of a repeated original-URI header was read, hundreds in 16 KB of headers
  // (copies that differ are refused 400 invalid_group_id at once, as they were after the credentials).
  it('refuses original-URI copies that differ before reading any, even without credentials (400 invalid_group_id; 401 before)', async () => {
    const { port } = target();
    const copies = [['X-Original-URI', '/api/v1/messages/save'], ['X-Original-URI', '/api/v1/drive/list']] as const;
    expect(await rawRequest(port, '/auth/verify', copies)).toBe(400);
    expect(await rawRequest(port, '/auth/verify', [copies[0], copies[0], ['X-Original-Method', 'POST']])).toBe(401);
  });

  it.each([
    ['the same URI', () => '/api/v1/%41'],
    ['distinct URIs', (i: number) => `/api/v1/%41/${i}`],
  ])('450 copies of X-Original-URI holding %s (14 KB) cost no more than as many other headers', async (_name, uri) => {
    const { pid, port } = target();
    const copies = (name: string) => Array.from({ length: 450 }, (_, i) => [name, uri(i)] as const);
    const costs = await typicalCosts(pid, () => rawRequest(port, '/auth/verify', copies('X-Original-URX')), () => rawRequest(port, '/auth/verify', copies('X-Original-URI')), (status) => expect([401, 400]).toContain(status));
    expect(costs.worst - costs.plain).toBeLessThan(EXTRA_CPU_BOUND_MS);
  });
});

describe('worst paths through the middleware with routes (Express 5, 256 KB header limit)', () => {
  let child: ChildProcess;
  let port = 0;

  beforeAll(async () => {
    child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'routes-app.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString()))));
  });

  afterAll(() => {
    child?.kill();
  });

  expectCheapRefusals(() => ({ pid: child.pid as number, port }), (port, path) => rawRequest(port, path), 256 * 1024);
  // A POST, the one method messages/save takes: a GET would be refused 405 before the query is read.
  expectCheapQueries(() => ({ pid: child.pid as number, port }), (port, query) => rawRequest(port, `/api/v1/messages/save?${query}`, {}, 'POST'));
});
