// `npm run bench:forged`: the real server flooded with wrong keys for random public ids from forged
// X-Forwarded-For values; prints requests, RSS and the heap in use after a full collection every 10 s.
// FORGED_KIND=garbage (default: a distinct 8,000-character non-address per request) or ipv4 (a distinct
// valid address per request); FORGED_SECONDS (default 40), FORGED_CONNECTIONS (default 32).
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { createDatabase, rssMiB, startTarget } = require('./lib');

const KIND = process.env.FORGED_KIND || 'garbage';
const SECONDS = Number(process.env.FORGED_SECONDS || 40);
const CONNECTIONS = Number(process.env.FORGED_CONNECTIONS || 32);

function forgedAddress(n) {
  if (KIND === 'ipv4') return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return `${n}-${'x'.repeat(8000)}`;
}

async function main() {
  const database = await createDatabase('sqlite');
  const heapFile = join(mkdtempSync(join(tmpdir(), 'twake-forged-')), 'heap');
  const server = await startTarget(
    'server-process.js',
    [],
    { DATABASE_URL: database.url, NODE_ENV: 'development', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent', HEAP_PROBE_FILE: heapFile },
    ['--expose-gc', '--require', join(__dirname, 'heap-probe.js')],
  );
  const rssStart = rssMiB(server.pid);
  let sent = 0;
  const result = await new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${server.port}/api/v1/auth/test?group_id=acme`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [
          {
            setupRequest: (request) => {
              sent += 1;
              const publicId = randomBytes(12).toString('hex');
              const authorization = `Basic ${Buffer.from(`${publicId}:wrong`).toString('base64')}`;
              return { ...request, headers: { ...request.headers, 'x-forwarded-for': forgedAddress(sent), authorization } };
            },
          },
        ],
      },
      (error, outcome) => (error ? reject(error) : resolve(outcome)),
    );
  });
  const rssEnd = rssMiB(server.pid);
  await server.stop();
  const heap = existsSync(heapFile) ? readFileSync(heapFile, 'utf8').trim().split('\n').map(Number) : [];
  rmSync(join(heapFile, '..'), { recursive: true, force: true });
  await database.drop();
  console.log(`Forged ${KIND} addresses: ${SECONDS} s, ${CONNECTIONS} connections, Node ${process.version}`);
  console.log(`requests ${result.requests.total}, 4xx ${result['4xx']}, other ${result.requests.total - result['4xx']}, socket errors ${result.errors + result.timeouts}`);
  console.log(`server RSS ${rssStart.toFixed(1)} MiB at start, ${rssEnd.toFixed(1)} MiB at end`);
  console.log(`server heap in use after a full collection, every 10 s (MiB): ${heap.join(', ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
