// `npm run bench:breakdown`: how long each step of the warm middleware takes inside a loaded Express server.
// The middleware target of bench-server.js runs pinned to core 0 under wrk (core 1), with its steps wrapped in
// process.hrtime timers; each step's median is printed with the timer's own cost taken off. Steps are timed
// where the compiled modules call each other through their exports, so the build itself is not changed.
// BENCH_SECONDS (8), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32).
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { available, createDatabase, markdownTable, seedApplication, startTarget, wrk } = require('./lib');

const SECONDS = Number(process.env.BENCH_SECONDS || 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const COMPANY = 'bench-company';
const PIN = available('taskset') && os.cpus().length >= 2;

// In the server process: wraps each step before the middleware is built, and reports the medians on SIGTERM.
function instrument() {
  const now = process.hrtime.bigint;
  // Preallocated, so that recording allocates nothing; the last SLOTS samples of each step are kept.
  const SLOTS = 1 << 20;
  const samples = new Map();
  const record = (name, started) => {
    let slot = samples.get(name);
    if (slot === undefined) samples.set(name, (slot = { values: new Float64Array(SLOTS), count: 0 }));
    slot.values[slot.count % SLOTS] = Number(now() - started);
    slot.count += 1;
  };
  // Fixed arity (no rest arguments): every wrapped step takes at most four.
  const timed = (name, fn) =>
    function (a, b, c, d) {
      const started = now();
      const result = fn.call(this, a, b, c, d);
      record(name, started);
      return result;
    };
  const wrap = (modulePath, exported, name) => {
    const module = require(modulePath);
    module[exported] = timed(name, module[exported]);
  };
  wrap('../dist/express/request-facts', 'factsFromRequest', 'request facts (URL, body check, headers)');
  wrap('../dist/core/parse-authorization', 'parseAuthorization', 'Basic header parsed');
  wrap('../dist/core/verify-key', 'verifyKey', 'key digest and constant-time comparisons');
  wrap('../dist/core/decide', 'decide', 'decision, whole (holds the header, key and look-up rows)');
  wrap('../dist/express/attach-identity', 'attachIdentity', '`req.twake` set');
  // The store's look-ups are methods of the cached store: wrapped where the benchmark creates it.
  const cached = require('../dist/stores/cached-store');
  const create = cached.createCachedStore;
  cached.createCachedStore = (...args) => {
    const store = create(...args);
    store.peekApplication = timed('application look-up (LRU)', store.peekApplication);
    store.findInstallation = timed('installation look-up (LRU)', store.findInstallation);
    return store;
  };
  process.on('SIGTERM', () => {
    // What a timer costs by itself: two reads of the clock with nothing between them.
    for (let index = 0; index < 100_000; index += 1) record('(timer alone)', now());
    const medians = Object.fromEntries(
      [...samples].map(([name, { values, count }]) => {
        const kept = values.slice(0, Math.min(count, SLOTS)).sort();
        return [name, { median: kept[kept.length >> 1], count }];
      }),
    );
    writeFileSync(process.env.BENCH_BREAKDOWN, JSON.stringify(medians));
  });
}

async function main() {
  if (!available('wrk')) {
    console.error('npm run bench:breakdown needs wrk (apt-get install -y wrk)');
    process.exit(2);
  }
  const database = await createDatabase('sqlite');
  const credentials = await seedApplication(database.url, COMPANY);
  // The server writes its medians to this file when stopped.
  const folder = mkdtempSync(join(os.tmpdir(), 'twake-breakdown-'));
  const output = join(folder, 'medians.json');
  const env = { DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey, BENCH_BREAKDOWN: output };
  const server = await startTarget('bench-server.js', ['middleware'], env, ['--require', __filename], PIN ? 0 : null);
  const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
  const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}` };
  await wrk({ url, headers, seconds: WARMUP_SECONDS, connections: CONNECTIONS, core: PIN ? 1 : null });
  const measured = await wrk({ url, headers, seconds: SECONDS, connections: CONNECTIONS, core: PIN ? 1 : null });
  await server.stop();
  const medians = JSON.parse(readFileSync(output, 'utf8'));
  rmSync(folder, { recursive: true, force: true });
  await database.drop();
  if (measured.non2xx > 0) throw new Error(`${measured.non2xx} requests were refused`);
  const timer = medians['(timer alone)'].median;
  const rows = Object.entries(medians)
    .filter(([name]) => name !== '(timer alone)')
    .map(([name, { median, count }]) => [name, Math.max(0, median - timer), count]);
  console.log(`middleware + createCachedStore, SQLite, ${PIN ? 'pinned (server on core 0, wrk on core 1)' : 'not pinned'}, ${Math.round(measured.rps)} requests/s; a timer alone costs ${timer} ns, taken off each median\n`);
  console.log(markdownTable(['step (warm, inside the loaded server)', 'median ns', 'samples'], rows));
}

if (process.env.BENCH_BREAKDOWN) instrument();
else
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
