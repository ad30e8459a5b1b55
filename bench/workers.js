// `npm run bench:workers`: the real `serve` with WORKERS=1 and WORKERS=2, unpinned, under the same wrk load, in alternating rounds.
// BENCH_PROVIDER=sqlite|postgresql (sqlite), BENCH_ROUNDS (4), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32),
// BENCH_WORKERS (2: the count compared with 1), BENCH_DATABASE_PREFIX (twake_app_auth_bench).
const { execFileSync, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const { join } = require('node:path');
const { available, createDatabase, median, seedApplication, wrk } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const WORKERS = Number(process.env.BENCH_WORKERS || 2);
const PROVIDER = process.env.BENCH_PROVIDER || 'sqlite';
const COMPANY = 'bench-company';
const CLI = join(__dirname, '..', 'server', 'dist', 'cli', 'main.js');

/** A port nothing listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** CPU time (user + system) of `pid` and its children still running, in seconds (Linux /proc). */
function cpuSeconds(pid) {
  let children = '';
  try {
    children = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when the process has no children (WORKERS=1).
  }
  const pids = [pid, ...children.split('\n').map(Number).filter(Boolean)];
  return pids.reduce((total, each) => {
    try {
      const fields = readFileSync(`/proc/${each}/stat`, 'utf8').split(') ')[1].split(' ');
      return total + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return total;
    }
  }, 0);
}

/** Starts `serve` with `workers` workers (no logs, production behind a trusted loopback proxy); resolves once /healthz answers. */
async function startServe(workers, databaseUrl) {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', WORKERS: String(workers), NODE_ENV: 'production', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const started = Date.now(); ; ) {
    if (child.exitCode !== null) throw new Error(`serve with WORKERS=${workers} exited with ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((res) => res.ok, () => false);
    if (up) break;
    if (Date.now() - started > 30_000) throw new Error(`serve with WORKERS=${workers} did not answer within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    pid: child.pid,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function main() {
  if (!available('wrk')) {
    console.error('bench:workers needs wrk');
    process.exit(2);
  }
  const database = await createDatabase(PROVIDER, process.env.BENCH_DATABASE_PREFIX || undefined);
  const credentials = await seedApplication(database.url, COMPANY);
  const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
  const loadAtStart = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  const results = { 1: [], [WORKERS]: [] };
  const ratios = [];
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternating order, so that a drift of the machine's load does not favour one count.
      const order = round % 2 === 0 ? [1, WORKERS] : [WORKERS, 1];
      const runs = {};
      for (const workers of order) {
        const server = await startServe(workers, database.url);
        try {
          const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
          // The warm-up also gives every worker time to come up before the measured run.
          await wrk({ url, headers, seconds: WARMUP_SECONDS, connections: CONNECTIONS });
          const cpuBefore = cpuSeconds(server.pid);
          const result = await wrk({ url, headers, seconds: SECONDS, connections: CONNECTIONS });
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`WORKERS=${workers} answered other than 2xx`);
          result.cpuMicroseconds = ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / result.total;
          runs[workers] = result;
          results[workers].push(result);
        } finally {
          await server.stop();
        }
      }
      ratios.push(runs[WORKERS].rps / runs[1].rps);
    }
  } finally {
    await database.drop();
  }
  const row = (workers) => {
    const runs = results[workers];
    return `| ${workers} | ${median(runs.map((run) => run.rps)).toFixed(0)} | ${median(runs.map((run) => run.p50)).toFixed(2)} | ${median(runs.map((run) => run.p99)).toFixed(2)} | ${median(runs.map((run) => run.cpuMicroseconds)).toFixed(0)} |`;
  };
  console.log(
    `Run of ${new Date().toISOString()}, Node ${process.version}, ${os.availableParallelism()} cores, ${PROVIDER}, load average ${loadAtStart} at the start and ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')} at the end; unpinned, wrk -t1 -c${CONNECTIONS} on the same cores, ${ROUNDS} alternating rounds of ${SECONDS} s after ${WARMUP_SECONDS} s warm-up.\n`,
  );
  console.log('| WORKERS | requests/s (median) | p50 ms | p99 ms | server CPU µs per request (primary and workers) |');
  console.log('|---|---|---|---|---|');
  console.log(row(1));
  console.log(row(WORKERS));
  console.log(`\nWORKERS=${WORKERS} / WORKERS=1, median of the per-round ratios: ${median(ratios).toFixed(2)} (${ratios.map((ratio) => ratio.toFixed(2)).join(' ')})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
