// `npm run bench:compare -- <target> <checkout> [<checkout>…]`: one target built from several checkouts of
// this repository (each already built), against this checkout's bare Express, pinned, in alternating rounds.
// It measures one change at a time: check out the commit before and after it, build both, compare.
// Targets: middleware, readme (the README's usage sample), cold-prisma (createPrismaStore, uncached), serve (warm), serve-cold (CACHE_TTL_MS=0), and passthrough and basic-auth for reference; BENCH_PROVIDER=sqlite|postgresql (sqlite).
// BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32).
// BENCH_PAIRED=1: each target runs at the same time as its own bare Express, both on core 0, each driven by
// its own wrk on core 1. Both then see the same interruptions of a shared machine, and the ratio of their
// throughputs is the ratio of their CPU cost per request: steady to about 1% where the alternating
// rounds spread by 10% or more.
const os = require('node:os');
const { resolve } = require('node:path');
const { available, cpuMicroseconds, createDatabase, markdownTable, median, seedApplication, startTarget, wrk } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const PROVIDER = process.env.BENCH_PROVIDER || 'sqlite';
const COMPANY = 'bench-company';
const PIN = available('taskset') && os.cpus().length >= 2;
const PAIRED = process.env.BENCH_PAIRED === '1';

const TARGETS = {
  middleware: { script: 'bench-server.js', args: ['middleware'], env: {} },
  // The README's usage sample as printed (bench/readme-usage.js), on BENCH_PROVIDER.
  readme: { script: 'bench-server.js', args: ['readme'], env: { NODE_ENV: 'development' } },
  'cold-prisma': { script: 'bench-server.js', args: ['cold-prisma'], env: {} },
  // References, to measure with the same method: an empty middleware, and express-basic-auth.
  passthrough: { script: 'bench-server.js', args: ['passthrough'], env: {} },
  'basic-auth': { script: 'bench-server.js', args: ['basic-auth'], env: {} },
  serve: { script: 'server-process.js', args: [], env: {} },
  'serve-cold': { script: 'server-process.js', args: [], env: { CACHE_TTL_MS: '0' } },
};

function driven(server, credentials, seconds) {
  const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
  const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
  return wrk({ url, headers, seconds, connections: CONNECTIONS, core: PIN ? 1 : null });
}

// Each server under load for the same window; the CPU each spent per request.
async function measureTogether(servers, credentials, label) {
  await Promise.all(servers.map((server) => driven(server, credentials, WARMUP_SECONDS)));
  const cpuBefore = servers.map((server) => cpuMicroseconds(server.pid));
  const results = await Promise.all(servers.map((server) => driven(server, credentials, SECONDS)));
  return results.map((result, index) => {
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} socket errors`);
    return { rps: result.rps, cpu: (cpuMicroseconds(servers[index].pid) - cpuBefore[index]) / result.total };
  });
}

const started = (run) => startTarget(run.script, run.args, run.env, [], PIN ? 0 : null);

async function measure(run, credentials) {
  const server = await started(run);
  try {
    return (await measureTogether([server], credentials, run.label))[0];
  } finally {
    await server.stop();
  }
}

// The run and a bare Express at the same time: [bare, run].
async function measurePaired(bareRun, run, credentials) {
  const servers = await Promise.all([started(bareRun), started(run)]);
  try {
    return await measureTogether(servers, credentials, run.label);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function main() {
  const [targetName, ...checkouts] = process.argv.slice(2);
  const target = TARGETS[targetName];
  if (target === undefined || checkouts.length === 0 || !available('wrk')) {
    console.error(`usage: npm run bench:compare -- <${Object.keys(TARGETS).join('|')}> <checkout>… (needs wrk)`);
    process.exit(2);
  }
  const database = await createDatabase(PROVIDER);
  const credentials = await seedApplication(database.url, COMPANY);
  const env = { DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey, NODE_ENV: 'production', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent' };
  const runs = [
    { label: 'bare Express 5 (this checkout)', script: resolve(__dirname, 'bench-server.js'), args: ['bare'], env },
    ...checkouts.map((checkout) => ({ label: `${targetName}: ${checkout}`, script: resolve(checkout, 'bench', target.script), args: target.args, env: { ...env, ...target.env } })),
  ];
  const results = new Map(runs.map((run) => [run.label, []]));
  // Paired: each target with its own bare Express, so the bare column is the pairs' bare halves.
  const pairedBare = new Map(runs.map((run) => [run.label, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      if (PAIRED) {
        const [bare, measured] = await measurePaired(runs[0], run, credentials);
        pairedBare.get(run.label).push(bare);
        results.get(run.label).push(measured);
      } else {
        results.get(run.label).push(await measure(run, credentials));
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${run.label}: ${Math.round(results.get(run.label).at(-1).rps)} req/s\n`);
    }
  }
  const rows = runs.map((run) => {
    const measured = results.get(run.label);
    const bare = PAIRED ? pairedBare.get(run.label) : results.get(runs[0].label);
    const ratios = measured.map((result, round) => result.rps / bare[round].rps);
    return [run.label, Math.round(median(measured.map((result) => result.rps))), median(ratios).toFixed(PAIRED ? 3 : 2), ratios.map((ratio) => ratio.toFixed(PAIRED ? 3 : 2)).join(' '), median(measured.map((result) => result.cpu)).toFixed(1)];
  });
  const method = PAIRED ? 'each target paired with a bare Express running at the same time' : 'alternating rounds';
  console.log(`${PROVIDER}, ${PIN ? 'pinned (targets on core 0, wrk on core 1)' : 'not pinned'}, ${method}, ${ROUNDS} rounds of ${SECONDS} s\n`);
  console.log(markdownTable(['target', 'requests/s (median)', 'ratio to bare (median)', 'ratio per round', 'server CPU µs per request (median)'], rows));
  await database.drop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
