// `npm run bench:profile`: where the warm server's CPU time goes, from a `node --cpu-prof` profile under load.
// The real `serve` (SQLite, warm, NODE_ENV=production behind a trusted loopback proxy, request lines at the default
// level written to a file) runs pinned to core 0 with `--cpu-prof`; wrk (-t1 -c32, core 1) warms it up, then drives it
// for the measured run; the samples of that run are summed by where they fall, idle time left out. A native frame
// (a write) and Node's other modules (crypto, buffer, querystring) count for the code that called them. BENCH_SECONDS (8), BENCH_WARMUP_SECONDS (2),
// BENCH_PROFILE_INTERVAL_US (100). Needs wrk and taskset.
const { mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { available, createDatabase, markdownTable, seedApplication, startTarget, wrk } = require('./lib');

const SECONDS = Number(process.env.BENCH_SECONDS || 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const INTERVAL_US = Number(process.env.BENCH_PROFILE_INTERVAL_US || 100);
const COMPANY = 'bench-company';

// Where a frame's code lives, first match wins; `null` for frames that are not code of their own (native, V8).
const PLACES = [
  ['the request line (formatting, batching, the writes)', /server\/dist\/server\/(request-log|logger)\.js|\/(pino|sonic-boom)\//],
  ['proxy-addr, parseurl (client address, path)', /\/(proxy-addr|parseurl|forwarded|ipaddr\.js)\//],
  ['lru-cache, prom-client, the database', /\/(lru-cache|prom-client|better-sqlite3|@prisma)\/|server\/dist\/server\/(metrics|cluster-metrics)\.js|server\/dist\/database\//],
  ['the server\'s own code (route match, request members, the answer)', /server\/dist\//],
  ['the decision (library: header, SHA-256 and comparisons, company, route tables, cache, identity)', /\/dist\/(core|express|stores|twake|limits|proxy|tokens|assertion)\//],
  ["Node's HTTP server, sockets, streams, timers", /^node:(_http_|net$|events$|stream$|timers$|internal\/(streams|stream_base_commons|http|timers|process\/task_queues|async_hooks))/],
];
const GC = 'the garbage collector';
const V8 = 'V8 itself (compiler, runtime)';

function placeOf(url) {
  for (const [name, pattern] of PLACES) if (pattern.test(url)) return name;
  return null;
}

/** Busy time by place over the samples taken after `fromUs` (µs since the profile started); idle left out. */
function summarise(profile, fromUs) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const placeOfNode = new Map();
  const place = (id) => {
    if (placeOfNode.has(id)) return placeOfNode.get(id);
    const { functionName, url } = nodes.get(id).callFrame;
    let found;
    if (functionName === '(idle)') found = null;
    else if (functionName === '(garbage collector)') found = GC;
    else if (functionName === '(program)') found = V8;
    else found = placeOf(url) ?? (parents.has(id) ? place(parents.get(id)) : 'other');
    placeOfNode.set(id, found);
    return found;
  };
  const totals = new Map();
  let elapsed = 0;
  let busy = 0;
  for (let index = 0; index < profile.samples.length; index += 1) {
    elapsed += profile.timeDeltas[index];
    const weight = profile.timeDeltas[index + 1] ?? 0;
    if (elapsed < fromUs) continue;
    const where = place(profile.samples[index]);
    if (where === null) continue;
    totals.set(where, (totals.get(where) ?? 0) + weight);
    busy += weight;
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([where, time]) => [where, `${((100 * time) / busy).toFixed(1)}%`]);
}

async function main() {
  if (!available('wrk') || !available('taskset')) {
    console.error('bench:profile needs wrk and taskset');
    process.exit(2);
  }
  const folder = mkdtempSync(join(os.tmpdir(), 'twake-profile-'));
  const database = await createDatabase('sqlite');
  try {
    const credentials = await seedApplication(database.url, COMPANY);
    const env = { DATABASE_URL: database.url, BENCH_PUBLIC_ID: credentials.publicId, BENCH_KEY: credentials.privateKey, NODE_ENV: 'production', TRUST_PROXY: 'loopback', LOG_LEVEL: 'info' };
    const started = Date.now();
    const server = await startTarget('server-process.js', [], env, ['--cpu-prof', `--cpu-prof-dir=${folder}`, `--cpu-prof-interval=${INTERVAL_US}`], 0, { logFile: join(folder, 'requests.log') });
    const url = `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=${COMPANY}`;
    const headers = { Authorization: `Basic ${Buffer.from(`${credentials.publicId}:${credentials.privateKey}`).toString('base64')}`, 'X-Forwarded-Proto': 'https' };
    await wrk({ url, headers, seconds: WARMUP_SECONDS, connections: 32, core: 1 });
    // The profile starts with the process: its measured run starts this long after the spawn (a few ms early).
    const fromUs = (Date.now() - started) * 1000;
    const result = await wrk({ url, headers, seconds: SECONDS, connections: 32, core: 1 });
    await server.stop();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} socket errors`);
    const file = readdirSync(folder).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('the server wrote no profile');
    const rows = summarise(JSON.parse(readFileSync(join(folder, file), 'utf8')), fromUs);
    console.log(
      `Run of ${new Date().toISOString()}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}: serve (SQLite, warm, request lines to a file) pinned to core 0 with --cpu-prof (${INTERVAL_US} µs), wrk -t1 -c32 on core 1, ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up, ${Math.round(result.rps)} requests/s under the profiler; shares of the busy time.`,
    );
    console.log(markdownTable(['where', 'share'], rows));
  } finally {
    await database.drop();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
