// `npm run bench:pair -- <variant> <variant>`: two bench-server.js targets at the same time, both pinned to core 0,
// each driven by its own wrk on core 1: the ratio of their throughputs in the same window, round by round.
// A variant may end in `@4` (Express 4) and `:development` (NODE_ENV, production otherwise; the README's code needs development).
// `serve` is the real server (bench/server-process.js, behind a trusted proxy saying HTTPS) with its request log at the default
// level written to a file; `serve:silent` the same without request lines.
// BENCH_PROVIDER=sqlite|postgresql (sqlite), BENCH_ROUNDS (5), BENCH_SECONDS (4), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32),
// BENCH_DATABASE_PREFIX (twake_app_auth_bench), BENCH_PORT.
const os = require('node:os');
const { mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { available, createDatabase, median, seedApplication, startTarget, wrk } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const PROVIDER = process.env.BENCH_PROVIDER || 'sqlite';
const COMPANY = 'bench-company';

/** A spec as the command line gives it: `<variant>[:development]`, or `serve[:silent]` for the real server. */
function targetOf(spec) {
  const [variant, setting = 'production'] = spec.split(':');
  if (variant === 'serve') return { spec, variant, nodeEnv: 'production', logLevel: setting === 'silent' ? 'silent' : 'info' };
  return { spec, variant, nodeEnv: setting };
}

/** Whether this machine can run pairs: wrk, taskset and two cores; otherwise what is missing. */
function pairsMissing() {
  if (!available('wrk')) return 'wrk is not installed';
  if (!available('taskset')) return 'taskset is not installed';
  return os.cpus().length < 2 ? 'the machine has one core' : null;
}

/**
 * Runs the two targets at the same time, round after round, both on core 0, each under its own wrk on core 1.
 * Resolves the per-round ratios of the second's requests/s to the first's, and the load average before and after.
 * `database` is a seeded database of `createDatabase`, with its `credentials`.
 */
async function pairRatios(specs, { database, credentials, rounds = ROUNDS, seconds = SECONDS }) {
  const targets = specs.map(targetOf);
  const logs = mkdtempSync(join(os.tmpdir(), 'bench-pair-'));
  const start = (target, env) =>
    target.variant === 'serve'
      ? startTarget('server-process.js', [], { ...env, TRUST_PROXY: 'loopback', LOG_LEVEL: target.logLevel }, [], 0, { logFile: join(logs, `${target.spec}.log`) })
      : startTarget('bench-server.js', [target.variant], env, [], 0);
  const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
  const drive = (server, duration) => wrk({ url: `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`, headers, seconds: duration, connections: CONNECTIONS, core: 1 });
  const loadBefore = os.loadavg()[0];
  const ratios = [];
  try {
    for (let round = 0; round < rounds; round += 1) {
      // BENCH_PORT: the first target listens there, the second on the next port (the system chooses without it).
      const port = (index) => (process.env.BENCH_PORT ? String(Number(process.env.BENCH_PORT) + index) : '0');
      const env = (target, index) => ({ DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey, NODE_ENV: target.nodeEnv, BENCH_PORT: port(index) });
      const servers = await Promise.all(targets.map((target, index) => start(target, env(target, index))));
      try {
        await Promise.all(servers.map((server) => drive(server, WARMUP_SECONDS)));
        const [first, second] = await Promise.all(servers.map((server) => drive(server, seconds)));
        if ([first, second].some((result) => result.non2xx > 0 || result.errors > 0)) throw new Error(`${specs.join(' and ')}: a target answered other than 2xx`);
        ratios.push(second.rps / first.rps);
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
      }
    }
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
  return { ratios, loadBefore, loadAfter: os.loadavg()[0] };
}

async function main() {
  const specs = process.argv.slice(2);
  const missing = pairsMissing();
  if (specs.length !== 2 || missing !== null) {
    console.error(`usage: npm run bench:pair -- <variant[:development]> <variant[:development]> (needs wrk, taskset and 2 cores${missing === null ? '' : `: ${missing}`})`);
    process.exit(2);
  }
  const database = await createDatabase(PROVIDER, process.env.BENCH_DATABASE_PREFIX || undefined);
  try {
    const credentials = await seedApplication(database.url, COMPANY);
    const { ratios, loadBefore, loadAfter } = await pairRatios(specs, { database, credentials });
    console.log(
      `${PROVIDER}, ${ROUNDS} rounds of ${SECONDS} s, load average ${loadBefore.toFixed(2)} then ${loadAfter.toFixed(2)}: ${specs[1]} / ${specs[0]} = ${median(ratios).toFixed(3)} (${ratios.map((ratio) => ratio.toFixed(3)).join(' ')})`,
    );
  } finally {
    await database.drop();
  }
}

module.exports = { pairRatios, pairsMissing, COMPANY };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
