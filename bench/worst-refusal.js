// `npm run bench:worst`: the CPU a refused request costs the real server (pinned to core 0), for a normal
// request and for the most expensive path a seeded search finds (hand-built runs of `.`, `/`, spaces,
// escapes, `;` and `\`, random mixes, and 12 KB queries), in the forward-auth path and in X-Original-URI. CPU is the
// server's main thread as the scheduler counts it, in µs per request (median), with a new connection per
// request in both cases. WORST_CANDIDATES (default 300) random candidates, WORST_SEED (default 1).
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const net = require('node:net');
const { createDatabase, startTarget } = require('./lib');

const CANDIDATES = Number(process.env.WORST_CANDIDATES || 300);
let seed = Number(process.env.WORST_SEED || 1);
const next = (count) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % count;

const PIECES = ['.', '/', '%2e', '%2E', '%2f', '%20', ';', '\\', '%5c', 'a', '..', '%', '%zz', './', '../', 'api', 'v1'];
const QUERY_PAIRS = { 'bare %': '%&', 'bad UTF-8 with ;': '%ff;', 'near-alias keys': '%67roup_i%zz=1&', 'valid escapes': 'a=%41&', 'group_id repeated': 'group_id=a&' };
const RUNS = { dots: '.', spaces: '%20', slashes: '/', 'encoded dots': '%2e', semicolons: ';', backslashes: '\\', 'dot-slash': './', mixed: '.%20%2e;/.\\%2F' };

function send(port, target, headers = {}) {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}

const cpuUs = (pid) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

/** Median CPU µs of the server per request, over `times` requests. */
async function cost(server, request, times) {
  const costs = [];
  let status = 0;
  for (let i = 0; i < times; i += 1) {
    const before = cpuUs(server.pid);
    status = await request();
    costs.push(cpuUs(server.pid) - before);
  }
  costs.sort((a, b) => a - b);
  return { us: costs[Math.floor(costs.length / 2)], status };
}

function candidates() {
  const list = [];
  for (const [name, run] of Object.entries(RUNS)) {
    for (const bytes of [4000, 16000]) list.push({ name: `${name} ×${bytes}`, path: `/api/v1/messages/${run.repeat(Math.ceil(bytes / run.length)).slice(0, bytes)}x` });
  }
  // Queries are read for group_id before any credential too: malformed escapes, `;` separators, aliases.
  for (const [name, pair] of Object.entries(QUERY_PAIRS)) list.push({ name: `query of ${name}`, path: `/api/v1/messages/save?${pair.repeat(Math.ceil(12000 / pair.length)).slice(0, 12000)}` });
  for (let i = 0; i < CANDIDATES; i += 1) {
    let path = '/api/v1/';
    const length = 500 + next(3580);
    while (path.length < length) path += PIECES[next(PIECES.length)].repeat(1 + next(64));
    list.push({ name: `random #${i}`, path: path.slice(0, length) });
  }
  return list;
}

async function main() {
  try {
    execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  } catch {
    // taskset missing: unpinned figures, still side by side.
  }
  const database = await createDatabase('sqlite');
  const server = await startTarget('server-process.js', [], { DATABASE_URL: database.url, NODE_ENV: 'development', LOG_LEVEL: 'silent' }, [], 0);
  try {
    const ways = {
      'forward-auth path': (path) => () => send(server.port, `/auth/verify${path}`),
      'X-Original-URI': (path) => () => send(server.port, '/auth/verify', { 'X-Original-URI': path }),
    };
    const normalPath = '/api/v1/messages/save';
    for (let i = 0; i < 200; i += 1) await send(server.port, `/auth/verify${normalPath}`);
    console.log(`Worst refused request: server pinned to core 0, Node ${process.version}, ${new Date().toISOString()}, ${CANDIDATES} random candidates (seed ${process.env.WORST_SEED || 1})`);
    for (const [way, make] of Object.entries(ways)) {
      let worst = { us: -1 };
      for (const candidate of candidates()) {
        const measured = await cost(server, make(candidate.path), 15);
        if (measured.us > worst.us) worst = { ...candidate, ...measured };
      }
      // The normal and the worst again, alternating, so that both see the same machine.
      // A plain target as long as the worst one: what its size alone costs.
      const question = worst.path.indexOf('?');
      const plainPath =
        question < 0 ? `/api/v1/messages/${'a'.repeat(worst.path.length - 17)}` : `${worst.path.slice(0, question + 1)}${'a=b&'.repeat(worst.path.length)}`.slice(0, worst.path.length);
      const costs = { normal: [], plain: [], worst: [] };
      for (let round = 0; round < 5; round += 1) {
        costs.normal.push((await cost(server, make(normalPath), 40)).us);
        costs.plain.push((await cost(server, make(plainPath), 40)).us);
        costs.worst.push((await cost(server, make(worst.path), 40)).us);
      }
      const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const [normal, plain, worstUs] = [median(costs.normal), median(costs.plain), median(costs.worst)];
      console.log(
        `${way}: normal refused ${normal.toFixed(0)} µs; worst found "${worst.name}" (${worst.path.length} chars, status ${worst.status}) ${worstUs.toFixed(0)} µs; ` +
          `a plain target as long ${plain.toFixed(0)} µs; worst/plain ${(worstUs / plain).toFixed(2)}, worst/normal ${(worstUs / normal).toFixed(2)}`,
      );
    }
  } finally {
    await server.stop();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
