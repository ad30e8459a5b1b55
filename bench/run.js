// `npm run bench`: nginx auth_request end to end (bench/nginx.js) first, then the same GET route behind each authentication,
// pinned, in alternating rounds; rewrites both tables of docs/benchmarks.md.
// Targets run on core 0 and the load generator (wrk -t1, or autocannon without wrk) on core 1 when taskset exists.
// BENCH_ROUNDS (5), BENCH_SECONDS (8), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_TARGETS (parts of names, comma-separated),
// BENCH_DATABASE_PREFIX (the PostgreSQL database's name prefix, twake_app_auth_bench). BENCH_TARGETS=nginx runs the nginx rows only;
// BENCH_NGINX_PORTS as in bench/nginx.js.
const { rmSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { available, cpuMicroseconds, createDatabase, median, rewriteSection, seedApplication, startTarget, rssMiB, load, markdownTable, wrk } = require('./lib');
const nginxBench = require('./nginx');

const SECONDS = Number(process.env.BENCH_SECONDS || 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const COMPANY = 'bench-company';
const PIN = available('taskset') && os.cpus().length >= 2;
const WRK = available('wrk');

// `serve` is the real server command (NODE_ENV=production behind a trusted proxy that says HTTPS).
// `id` names a row that others are compared with (`against`), round by round, besides bare Express 5.
// The README rows run the README's "Usage in an Express app" sample as printed (bench/readme-usage.js),
// under NODE_ENV=development as the middleware rows run in development mode.
const TARGETS = [
  { name: 'bare Express 5 (no auth, the limit)', script: 'bench-server.js', variant: 'bare', provider: 'sqlite' },
  { name: 'Express 5 with one empty middleware (what any layer costs)', script: 'bench-server.js', variant: 'passthrough', provider: 'sqlite' },
  { name: 'node:http + the decision only (no Express)', script: 'bench-server.js', variant: 'floor', provider: 'sqlite' },
  { id: 'floor', name: 'node:http alone (no Express, no decision)', script: 'bench-server.js', variant: 'floor-bare', provider: 'sqlite' },
  { id: 'basic-auth', name: 'express-basic-auth (static in-memory user)', script: 'bench-server.js', variant: 'basic-auth', provider: 'sqlite' },
  { id: 'passport-http', name: 'passport-http BasicStrategy (static in-memory user)', script: 'bench-server.js', variant: 'passport-http', provider: 'sqlite' },
  { name: 'twake-app-auth serve, warm, SQLite, request lines to a file', script: 'server-process.js', provider: 'sqlite', env: { LOG_LEVEL: 'info' }, logFile: true, against: ['floor'] },
  { name: 'twake-app-auth serve, warm, SQLite', script: 'server-process.js', provider: 'sqlite', env: {}, against: ['floor'] },
  { name: 'twake-app-auth serve, warm, SQLite, METRICS=false', script: 'server-process.js', provider: 'sqlite', env: { METRICS: 'false' }, against: ['floor'] },
  { name: 'twake-app-auth serve, warm, PostgreSQL, request lines to a file', script: 'server-process.js', provider: 'postgresql', env: { LOG_LEVEL: 'info' }, logFile: true, against: ['floor'] },
  { name: 'twake-app-auth serve, warm, PostgreSQL', script: 'server-process.js', provider: 'postgresql', env: {}, against: ['floor'] },
  { id: 'middleware', name: 'middleware + createCachedStore, SQLite', script: 'bench-server.js', variant: 'middleware', provider: 'sqlite', against: ['basic-auth', 'passport-http'] },
  { id: 'mounted', name: "middleware + createCachedStore mounted as the README mounts it (app.use('/api/v1', …)), SQLite", script: 'bench-server.js', variant: 'middleware-mounted', provider: 'sqlite', against: ['middleware'] },
  { id: 'middleware-prisma', name: 'middleware + createCachedStore(createPrismaStore(prisma)), SQLite (the cached middleware row of the goals)', script: 'bench-server.js', variant: 'middleware-prisma', provider: 'sqlite', env: { NODE_ENV: 'development' } },
  { name: 'middleware + createCachedStore + twakeV1Routes, SQLite', script: 'bench-server.js', variant: 'middleware-routes', provider: 'sqlite' },
  { name: 'TwakeAppStrategy (passport) + createCachedStore, SQLite', script: 'bench-server.js', variant: 'strategy', provider: 'sqlite', against: ['passport-http'] },
  { name: "README's code: createCachedStore(createPrismaStore(prisma)), SQLite", script: 'bench-server.js', variant: 'readme', provider: 'sqlite', env: { NODE_ENV: 'development' }, against: ['middleware-prisma', 'middleware', 'mounted'] },
  { name: "README's code: createCachedStore(createPrismaStore(prisma)), PostgreSQL", script: 'bench-server.js', variant: 'readme', provider: 'postgresql', env: { NODE_ENV: 'development' }, against: ['middleware', 'mounted'] },
  { id: 'bare@4', name: 'bare Express 4 (no auth)', script: 'bench-server.js', variant: 'bare@4', provider: 'sqlite' },
  { id: 'basic-auth@4', name: 'express-basic-auth on Express 4', script: 'bench-server.js', variant: 'basic-auth@4', provider: 'sqlite', against: ['bare@4'] },
  { id: 'passport-http@4', name: 'passport-http BasicStrategy on Express 4', script: 'bench-server.js', variant: 'passport-http@4', provider: 'sqlite', against: ['bare@4'] },
  { name: 'middleware + createCachedStore on Express 4, SQLite', script: 'bench-server.js', variant: 'middleware@4', provider: 'sqlite', against: ['bare@4', 'basic-auth@4', 'passport-http@4'] },
  { name: 'twake-app-auth serve, cold, SQLite', script: 'server-process.js', provider: 'sqlite', env: { CACHE_TTL_MS: '0' } },
  { name: 'twake-app-auth serve, cold, PostgreSQL', script: 'server-process.js', provider: 'postgresql', env: { CACHE_TTL_MS: '0' } },
  { name: 'middleware + createPrismaStore (cold), SQLite', script: 'bench-server.js', variant: 'cold-prisma', provider: 'sqlite' },
  { name: 'middleware + createPrismaStore (cold), PostgreSQL', script: 'bench-server.js', variant: 'cold-prisma', provider: 'postgresql' },
];

// Without wrk, autocannon generates the load from this process: pin it to core 1 (the targets are on core 0).
if (PIN && !WRK) require('node:child_process').execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

function drive(url, headers, seconds) {
  return WRK ? wrk({ url, headers, seconds, connections: CONNECTIONS, core: PIN ? 1 : null }) : load({ url, seconds, connections: CONNECTIONS, method: 'GET', headers });
}

/** The nginx rows, first: what a self-hoster behind nginx gets. Where nginx cannot run, the section says so. */
async function nginxRows(write) {
  const missing = nginxBench.missing();
  const text = missing === null ? await nginxBench.runNginxBench().then(({ heading, table }) => `${heading}\n\n${table}`) : `Not measured in the run of ${new Date().toISOString()}: ${missing}.`;
  console.log(`${text}\n`);
  if (write) nginxBench.writeNginxSection(text);
}

async function main() {
  const chosen = process.env.BENCH_TARGETS ? process.env.BENCH_TARGETS.split(',') : null;
  if (chosen === null || chosen.includes('nginx')) await nginxRows(chosen === null);
  if (chosen !== null && chosen.every((name) => name === 'nginx')) return;
  const loadAverageAtStart = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  // A chosen target brings the rows it is compared with.
  const picked = TARGETS.filter((target, index) => index === 0 || chosen === null || chosen.some((name) => target.name.includes(name)));
  const needed = new Set();
  const bring = (target) => {
    for (const id of target.against ?? []) {
      if (!needed.has(id)) {
        needed.add(id);
        bring(TARGETS.find((other) => other.id === id));
      }
    }
  };
  picked.forEach(bring);
  const targets = TARGETS.filter((target) => picked.includes(target) || needed.has(target.id));
  const prefix = process.env.BENCH_DATABASE_PREFIX || undefined;
  const databases = { sqlite: await createDatabase('sqlite', prefix), postgresql: await createDatabase('postgresql', prefix) };
  const credentials = {};
  for (const [provider, database] of Object.entries(databases)) credentials[provider] = await seedApplication(database.url, COMPANY);
  const results = new Map(targets.map((target) => [target.name, []]));

  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate the order from round to round so drift does not favour one target.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const { publicId, privateKey } = credentials[target.provider];
      const env = {
        DATABASE_URL: databases[target.provider].url,
        BENCH_PUBLIC_ID: publicId,
        BENCH_KEY: privateKey,
        NODE_ENV: 'production',
        TRUST_PROXY: 'loopback',
        LOG_LEVEL: 'silent',
        ...target.env,
      };
      // The server's request lines go to a file, as a supervisor would send them.
      const logFile = target.logFile ? join(os.tmpdir(), `twake-app-auth-bench-${process.pid}.log`) : null;
      const server = await startTarget(target.script, target.variant ? [target.variant] : [], env, [], PIN ? 0 : null, { logFile });
      const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
      const headers = { Authorization: `Basic ${Buffer.from(`${publicId}:${privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
      await drive(url, headers, WARMUP_SECONDS);
      const cpuBefore = cpuMicroseconds(server.pid);
      const result = await drive(url, headers, SECONDS);
      // The server's own CPU per request: steadier than requests/s when other work shares the machine.
      result.cpu = (cpuMicroseconds(server.pid) - cpuBefore) / result.total;
      result.rss = rssMiB(server.pid);
      await server.stop();
      if (logFile !== null) rmSync(logFile, { force: true });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} socket errors`);
      results.get(target.name).push(result);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.name}: ${Math.round(result.rps)} req/s\n`);
    }
  }

  const bareRuns = results.get(targets[0].name);
  const byId = new Map(targets.filter((target) => target.id).map((target) => [target.id, results.get(target.name)]));
  const rows = targets.map((target) => {
    const runs = results.get(target.name);
    const ratios = runs.map((run, round) => run.rps / bareRuns[round].rps);
    // Against each row it is compared with: the median of the per-round ratios, then those ratios.
    const against = (target.against ?? []).map((id) => {
      const perRound = runs.map((run, round) => run.rps / byId.get(id)[round].rps);
      return `${median(perRound).toFixed(2)} to ${id} (${perRound.map((ratio) => ratio.toFixed(2)).join(' ')})`;
    });
    return [
      target.name,
      Math.round(median(runs.map((run) => run.rps))),
      median(runs.map((run) => run.p50)).toFixed(2),
      median(runs.map((run) => run.p99)).toFixed(2),
      median(ratios).toFixed(2),
      ratios.map((ratio) => ratio.toFixed(2)).join(' '),
      median(runs.map((run) => run.cpu)).toFixed(0),
      Math.max(...runs.map((run) => run.rss)).toFixed(0),
      against.join('; ') || '',
    ];
  });
  const table = markdownTable(
    ['target', 'requests/s (median)', 'p50 ms', 'p99 ms', 'ratio to bare Express 5 (median)', 'ratio per round', 'server CPU µs per request (median)', 'RSS MiB', 'ratio to the rows it is compared with, median (per round)'],
    rows,
  );
  const how = `${PIN ? 'targets pinned to core 0 and the load generator to core 1 (taskset)' : 'not pinned (no taskset or one core)'}, ${WRK ? 'wrk -t1' : 'autocannon (in the runner)'} with ${CONNECTIONS} connections`;
  const loadAverage = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  const heading = `Run of ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores, load average ${loadAverageAtStart} at the start and ${loadAverage} at the end (1, 5, 15 min), ${how}, ${ROUNDS} alternating rounds of ${SECONDS} s after ${WARMUP_SECONDS} s warm-up each; each ratio is taken per round, between the two rows' runs of that round, then the median.`;
  console.log(`${heading}\n\n${table}`);
  // Replace the generated section of docs/benchmarks.md, keeping the commentary around it.
  const output = process.env.BENCH_OUTPUT || join(__dirname, '..', 'docs', 'benchmarks.md');
  if (chosen === null) {
    rewriteSection(output, '<!-- bench:start -->', '<!-- bench:end -->', `${heading}\n\n${table}`);
    console.log(`\nwritten to ${output}`);
  }

  for (const database of Object.values(databases)) await database.drop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
