// `npm run bench:instructions -- [<checkout>::]<variant>…`: instructions per request of bench-server.js targets, counted by callgrind.
// Each target runs under `valgrind --tool=callgrind` with instrumentation off; after a warm-up the counting is
// switched on for a fixed number of requests, then off. Instruction counts do not depend on the machine's
// load, so they judge a change where throughput on a shared machine cannot (they do not see cache misses).
// BENCH_REQUESTS (4000), BENCH_WARMUP_REQUESTS (4000), BENCH_ROUNDS (3), BENCH_CONNECTIONS (8), BENCH_PORT (47400),
// CACHE_TTL_MS (3600000: no refresh inside the window; set it to 1000 to count the cache's refreshes).
const http = require('node:http');
const os = require('node:os');
const { execFileSync, spawn } = require('node:child_process');
const { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { createDatabase, median, seedApplication } = require('./lib');

const REQUESTS = Number(process.env.BENCH_REQUESTS || 4000);
const WARMUP = Number(process.env.BENCH_WARMUP_REQUESTS || 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 8);
// Ports are taken in turn from BENCH_PORT on (100 of them): one in the system's ephemeral range can be
// held for a moment by an outgoing connection, and a target that cannot listen is started on the next.
const FIRST_PORT = Number(process.env.BENCH_PORT || 47400);
let port = FIRST_PORT;
const nextPort = () => (port = FIRST_PORT + ((port - FIRST_PORT + 1) % 100));
const TTL = process.env.CACHE_TTL_MS || '3600000';
const COMPANY = 'bench-company';

// A spec is `[<checkout>::]<variant>[:development]`: a variant of bench-server.js, from another checkout of this
// repository (built) when one is given, so that two builds can be counted in the same run.
function start(spec, env, outFolder) {
  const [checkout, target] = spec.includes('::') ? spec.split('::') : [resolve(__dirname, '..'), spec];
  const [variant, nodeEnv = 'production'] = target.split(':');
  const args = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${join(outFolder, 'callgrind.out.%p')}`, process.execPath, resolve(checkout, 'bench', 'bench-server.js'), variant];
  const child = spawn('valgrind', args, { env: { ...process.env, ...env, NODE_ENV: nodeEnv, BENCH_PORT: String(port), CACHE_TTL_MS: TTL }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      if (/READY \d+/.test(buffer)) resolvePromise({ child, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`${spec} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
}

/** Sends `count` GETs over `CONNECTIONS` keep-alive connections; rejects on any answer but 200. */
function send(count, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  const one = () =>
    new Promise((resolvePromise, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: `/api/v1/auth/test?group_id=${COMPANY}`, headers, agent }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolvePromise() : reject(new Error(`status ${response.statusCode}`))));
      });
      request.on('error', reject);
    });
  // A keep-alive connection the slowed-down server closed meanwhile: the GET is sent again.
  const retried = () => one().catch((error) => (error.code === 'ECONNRESET' ? one() : Promise.reject(error)));
  const worker = async () => {
    while (sent < count) {
      sent += 1;
      await retried();
    }
  };
  return Promise.all(Array.from({ length: CONNECTIONS }, worker)).finally(() => agent.destroy());
}

// The main thread only: V8's compiler and collector helper threads run when they are scheduled, and a
// compilation that falls inside the window or not moves the total by more than most changes measured.
function totalInstructions(outFolder) {
  let total = 0;
  for (const name of readdirSync(outFolder).filter((file) => file.endsWith('-01'))) {
    const text = readFileSync(join(outFolder, name), 'utf8');
    const match = /^totals: (\d+)/m.exec(text);
    if (match) total += Number(match[1]);
  }
  return total;
}

async function count(spec, env, headers) {
  const outFolder = mkdtempSync(join(os.tmpdir(), 'twake-callgrind-'));
  let started;
  for (let attempt = 0; started === undefined; attempt += 1) {
    try {
      started = await start(spec, env, outFolder);
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(error.message)) throw error;
      rmSync(outFolder, { recursive: true, force: true });
      mkdirSync(outFolder);
      nextPort();
    }
  }
  const { child } = started;
  try {
    await send(WARMUP, headers);
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
    await send(REQUESTS, headers);
    execFileSync('callgrind_control', ['-i', 'off', String(child.pid)], { stdio: 'ignore' });
  } finally {
    await new Promise((done) => {
      child.once('exit', done);
      child.kill('SIGTERM');
    });
  }
  const total = totalInstructions(outFolder);
  rmSync(outFolder, { recursive: true, force: true });
  return total / REQUESTS;
}

async function main() {
  const specs = process.argv.slice(2);
  if (specs.length === 0) {
    console.error('usage: npm run bench:instructions -- <variant[:development]>… (needs valgrind)');
    process.exit(2);
  }
  const database = await createDatabase('sqlite');
  const credentials = await seedApplication(database.url, COMPANY);
  const env = { DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey };
  const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
  const results = new Map(specs.map((spec) => [spec, []]));
  try {
    // Rounds alternate the targets' order, as the throughput benchmarks do.
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? specs : [...specs].reverse();
      for (const spec of order) {
        results.get(spec).push(await count(spec, env, headers));
        console.error(`${spec}: ${Math.round(results.get(spec).at(-1))}`);
      }
    }
  } finally {
    await database.drop();
  }
  console.log(`Instructions per request (callgrind Ir), ${REQUESTS} requests after ${WARMUP} of warm-up, ${ROUNDS} rounds, cache TTL ${TTL} ms, SQLite`);
  console.log('| target | Ir per request (median) | rounds |');
  console.log('|---|---|---|');
  for (const [spec, values] of results) console.log(`| ${spec} | ${Math.round(median(values))} | ${values.map((value) => Math.round(value)).join(' ')} |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
