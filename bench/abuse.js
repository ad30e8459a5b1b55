// `npm run bench:abuse`: an attacker and a legitimate client side by side against the real server.
// Scenarios: lockout attempt (wrong keys for the legitimate public id from forged addresses), random-company
// flood (a known public id, a wrong key, a new group_id each time) and forged-address flood (random public
// ids, X-Forwarded-For values that are garbage or random addresses) and key-holder company flood (another
// application's own valid key, a new group_id each time: goal under 50 transactions per 1,000). Prints, per scenario, the legitimate
// client's success rate and p99, the server's RSS growth, and the database transactions caused per 1,000
// refused calls (PostgreSQL's xact_commit, measured against a run without the attacker).
// ABUSE_SECONDS (default 15) per run, ABUSE_CONNECTIONS (default 32) for the attacker, ABUSE_SCENARIOS (names,
// comma-separated), ABUSE_JSON=1.
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const { randomBytes, randomInt, randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { createDatabase, percentile, rssMiB, startTarget } = require('./lib');

const SECONDS = Number(process.env.ABUSE_SECONDS || 15);
const CONNECTIONS = Number(process.env.ABUSE_CONNECTIONS || 32);
const CLI = join(__dirname, '..', 'server', 'dist', 'cli', 'main.js');
const basic = (publicId, key) => `Basic ${Buffer.from(`${publicId}:${key}`).toString('base64')}`;
const randomIp = () => `${randomInt(1, 224)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const wrongKey = () => `twk_${randomBytes(32).toString('base64url')}`;

function cli(args, env) {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }));
}

/** Each scenario: what one attacking request carries. */
const SCENARIOS = {
  'lockout attempt': (victim) => ({ headers: { authorization: basic(victim.publicId, wrongKey()), 'x-forwarded-for': randomIp() }, query: 'group_id=acme' }),
  'random-company flood': (victim) => ({ headers: { authorization: basic(victim.publicId, wrongKey()), 'x-forwarded-for': randomIp() }, query: `group_id=${randomUUID()}` }),
  'key-holder company flood': (_victim, holder) => ({ headers: { authorization: basic(holder.publicId, holder.privateKey), 'x-forwarded-for': '10.1.1.1' }, query: `group_id=${randomUUID()}` }),
  'forged-address flood': () => ({
    headers: { authorization: basic(randomUUID(), wrongKey()), 'x-forwarded-for': randomInt(2) === 0 ? randomBytes(3000).toString('hex') : randomIp() },
    query: 'group_id=acme',
  }),
};

async function transactions(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
  await client.end();
  return Number(rows[0].n);
}

/** The legitimate client: sequential calls with the right key, from its own address, until stopped. */
function legitimateClient(port, app) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let ok = 0;
  let refused = 0;
  let running = true;
  const headers = { authorization: basic(app.publicId, app.privateKey), 'x-forwarded-for': '10.9.8.7' };
  const once = () =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      http
        .get({ port, host: '127.0.0.1', path: '/api/v1/auth/test?group_id=acme', agent, headers }, (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (res.statusCode === 200) ok += 1;
            else refused += 1;
            resolve();
          });
        })
        .on('error', () => {
          refused += 1;
          resolve();
        });
    });
  const done = (async () => {
    while (running) await once();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      return { ok, refused, p99: percentile(latencies, 99) };
    },
  };
}

function attack(port, make) {
  return new Promise((resolve, reject) => {
    const byStatus = {};
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [
          {
            setupRequest: (request) => {
              const { headers, query } = make();
              return { ...request, method: 'GET', path: `/api/v1/auth/test?${query}`, headers };
            },
            onResponse: (status) => {
              byStatus[status] = (byStatus[status] || 0) + 1;
            },
          },
        ],
      },
      (error) => (error ? reject(error) : resolve(byStatus)),
    );
  });
}

/** One server run: the legitimate client throughout, the attacker (or nobody) for SECONDS. */
async function run(database, env, victim, make) {
  const before = await transactions(database.url);
  // The heap still in use after a full collection, every 10 s: what RSS shows includes collector slack.
  const heapFile = join(mkdtempSync(join(tmpdir(), 'twake-abuse-')), 'heap');
  const server = await startTarget(
    'server-process.js',
    [],
    { ...env, NODE_ENV: 'development', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent', HEAP_PROBE_FILE: heapFile },
    ['--expose-gc', '--require', join(__dirname, 'heap-probe.js')],
  );
  const legit = legitimateClient(server.port, victim);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssStart = rssMiB(server.pid);
  const byStatus = make === null ? {} : await attack(server.port, make);
  if (make === null) await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const rssEnd = rssMiB(server.pid);
  const client = await legit.stop();
  // Stopping the server ends its connections, which flushes their statistics.
  await server.stop();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await transactions(database.url);
  const heap = existsSync(heapFile) ? readFileSync(heapFile, 'utf8').trim().split('\n').map(Number) : [];
  rmSync(dirname(heapFile), { recursive: true, force: true });
  const refusedCalls = Object.entries(byStatus).filter(([status]) => status !== '200').reduce((sum, [, count]) => sum + count, 0);
  return { byStatus, refusedCalls, client, rssGrowth: rssEnd - rssStart, heap, transactions: after - before };
}

async function main() {
  const database = await createDatabase('postgresql');
  const env = { DATABASE_URL: database.url };
  const victim = cli(['app', 'create', '--name', 'Legitimate app'], env);
  cli(['app', 'install', victim.publicId, '--company', 'acme'], env);
  const holder = cli(['app', 'create', '--name', 'Key holder'], env);
  cli(['app', 'install', holder.publicId, '--company', 'holder-co'], env);
  try {
    const baseline = await run(database, env, victim, null);
    console.log(`Abuse: ${SECONDS} s per run, attacker ${CONNECTIONS} connections, PostgreSQL, Node ${process.version}, ${new Date().toISOString()}`);
    console.log(`baseline (no attacker): legitimate ${baseline.client.ok} ok / ${baseline.client.refused} refused, p99 ${baseline.client.p99.toFixed(2)} ms, ${baseline.transactions} transactions`);
    const results = {};
    const chosen = (process.env.ABUSE_SCENARIOS || Object.keys(SCENARIOS).join(',')).split(',');
    for (const [name, scenario] of Object.entries(SCENARIOS).filter(([name]) => chosen.includes(name))) {
      const result = await run(database, env, victim, () => scenario(victim, holder));
      const extra = Math.max(0, result.transactions - baseline.transactions);
      const perThousand = result.refusedCalls === 0 ? 0 : (extra * 1000) / result.refusedCalls;
      const success = (100 * result.client.ok) / Math.max(1, result.client.ok + result.client.refused);
      results[name] = { ...result, perThousand, success };
      const statuses = Object.entries(result.byStatus).map(([status, count]) => `${status}: ${count}`).join(', ');
      console.log(
        `${name}: refused calls ${result.refusedCalls} (${statuses}); legitimate success ${success.toFixed(2)} % (${result.client.ok} ok, ${result.client.refused} refused), p99 ${result.client.p99.toFixed(2)} ms; ` +
          `RSS growth ${result.rssGrowth.toFixed(1)} MiB, heap after collection every 10 s ${result.heap.join(', ')} MiB; database transactions per 1,000 refused calls ${perThousand.toFixed(2)}`,
      );
    }
    if (process.env.ABUSE_JSON) console.log(JSON.stringify({ baseline, results }));
  } finally {
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
