// `npm run bench:server-instructions`: instructions per request of the server and of node:http alone, counted by valgrind (callgrind),
// which do not move with the machine's load as times do. Each target runs under callgrind with counting off while it starts
// and warms up (WARMUP requests: enough for the engine's optimised code to be in place, which takes far longer under
// valgrind), then on for exactly REQUESTS requests over 8 keep-alive connections.
// INSTRUCTIONS_REQUESTS (10000), INSTRUCTIONS_WARMUP (20000); INSTRUCTIONS_ONLY=text counts only the targets whose name holds it. Kernel time (the socket reads and writes) is not counted.
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const { readFileSync, readdirSync, mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { available, createDatabase, seedApplication, startTarget } = require('./lib');

const REQUESTS = Number(process.env.INSTRUCTIONS_REQUESTS || 10000);
const WARMUP = Number(process.env.INSTRUCTIONS_WARMUP || 20000);
const COMPANY = 'bench-company';

// A long cache TTL: a refresh each second would count database work in proportion to how slow valgrind runs.
const SERVE = { TRUST_PROXY: 'loopback', NODE_ENV: 'production', CACHE_TTL_MS: '600000' };
const TARGETS = [
  { name: 'node:http alone (the same JSON, no auth)', script: 'bench-server.js', args: ['floor-bare'], env: {} },
  { name: 'node:http + the decision only', script: 'bench-server.js', args: ['floor'], env: { CACHE_TTL_MS: '600000' } },
  { name: 'serve, LOG_LEVEL=silent', script: 'server-process.js', args: [], env: { ...SERVE, LOG_LEVEL: 'silent' } },
  { name: 'serve, request lines to a file (default level)', script: 'server-process.js', args: [], env: { ...SERVE, LOG_LEVEL: 'info' }, logFile: true },
];

/** Sends `count` GETs over 8 keep-alive connections; rejects on any answer but 2xx. */
function send(url, headers, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let left = count;
  const one = () =>
    new Promise((resolve, reject) =>
      http
        .get(url, { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`${url}: ${res.statusCode}`)) : resolve()));
        })
        .on('error', reject),
    );
  const loop = async () => {
    while (left > 0) {
      left -= 1;
      await one();
    }
  };
  return Promise.all(Array.from({ length: 8 }, loop)).finally(() => agent.destroy());
}

async function main() {
  if (!available('valgrind') || !available('callgrind_control')) throw new Error('needs valgrind (callgrind)');
  const database = await createDatabase('sqlite');
  const { publicId, privateKey } = await seedApplication(database.url, COMPANY);
  const folder = mkdtempSync(join(os.tmpdir(), 'bench-instructions-'));
  const headers = { Authorization: `Basic ${Buffer.from(`${publicId}:${privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
  const rows = [];
  try {
    for (const [index, target] of TARGETS.entries()) {
      if (process.env.INSTRUCTIONS_ONLY && !target.name.includes(process.env.INSTRUCTIONS_ONLY)) continue;
      const output = join(folder, `callgrind-${index}.out`);
      const env = { DATABASE_URL: database.url, BENCH_PUBLIC_ID: publicId, BENCH_KEY: privateKey, ...target.env };
      const valgrind = ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${output}`];
      const server = await startTarget(target.script, target.args, env, [], null, { logFile: target.logFile ? join(folder, `${index}.log`) : null, wrapper: ['valgrind', ...valgrind] });
      const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
      try {
        await send(url, headers, WARMUP);
        execFileSync('callgrind_control', ['-i', 'on', String(server.pid)], { stdio: 'ignore' });
        await send(url, headers, REQUESTS);
        execFileSync('callgrind_control', ['-i', 'off', String(server.pid)], { stdio: 'ignore' });
        // Written now: a target stopped by a signal may leave nothing behind.
        execFileSync('callgrind_control', ['-d', String(server.pid)], { stdio: 'ignore' });
      } finally {
        await server.stop();
      }
      // Callgrind writes one file per dump and thread; the totals line of each is summed.
      const total = readdirSync(folder)
        .filter((name) => name.startsWith(`callgrind-${index}.out`))
        .map((name) => Number((/^totals: (\d+)/m.exec(readFileSync(join(folder, name), 'utf8')) || [])[1] || 0))
        .reduce((sum, value) => sum + value, 0);
      rows.push({ name: target.name, perRequest: total / REQUESTS });
      process.stderr.write(`${target.name}: ${Math.round(total / REQUESTS)} instructions per request\n`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await database.drop();
  }
  const floor = rows.find((row) => row.name === TARGETS[0].name)?.perRequest ?? Number.NaN;
  console.log(`| target | instructions per request | node:http alone / target |\n|---|---|---|`);
  for (const row of rows) console.log(`| ${row.name} | ${Math.round(row.perRequest / 1000)}k | ${(floor / row.perRequest).toFixed(2)} |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
