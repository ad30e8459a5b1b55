// `npm run bench:soak`: the real server under a mix of valid, refused and malformed calls for 60 s,
// every answer checked against the status its call must get. Exits 1 on any wrong decision or socket error.
// SOAK_SECONDS (default 60), SOAK_CONNECTIONS (default 64), SOAK_DATABASE=sqlite|postgresql (default sqlite),
// SOAK_ATTACKERS (default 20) addresses send the refused calls; SOAK_JSON=1 adds a JSON line at the end.
const { execFileSync } = require('node:child_process');
const { randomBytes, randomInt, randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const autocannon = require('autocannon');
const { createDatabase, rssMiB, startTarget } = require('./lib');

const SECONDS = Number(process.env.SOAK_SECONDS || 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS || 64);
const PROVIDER = process.env.SOAK_DATABASE || 'sqlite';
const CLI = join(__dirname, '..', 'server', 'dist', 'cli', 'main.js');
// Refused calls come from a few addresses, so their failure budget runs out and 429s are part of the mix.
const ATTACKER_ADDRESSES = Array.from({ length: Number(process.env.SOAK_ATTACKERS || 20) }, (_, i) => `203.0.113.${i + 1}`);

function cli(args, env) {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }));
}

const basic = (publicId, key) => `Basic ${Buffer.from(`${publicId}:${key}`).toString('base64')}`;
const json = (body) => ({ body: JSON.stringify(body), type: 'application/json' });

/** The call classes, with their weight in the mix and the statuses each may get. */
function callClasses(app, target) {
  const good = () => `10.0.${randomInt(256)}.${randomInt(1, 255)}`;
  const attacker = () => ATTACKER_ADDRESSES[randomInt(ATTACKER_ADDRESSES.length)];
  const valid = basic(app.publicId, app.privateKey);
  return {
    'valid POST': { weight: 30, expect: [200], ip: good, make: () => ({ method: 'POST', auth: valid, ...json({ group_id: 'acme' }) }) },
    'valid GET': { weight: 10, expect: [200], ip: good, make: () => ({ method: 'GET', query: 'group_id=acme', auth: valid }) },
    'not installed': { weight: 5, expect: [403], ip: good, make: () => ({ method: 'POST', auth: valid, ...json({ group_id: 'globex' }) }) },
    'no group_id': { weight: 5, expect: [400], ip: good, make: () => ({ method: 'POST', auth: valid, ...json({ other: 1 }) }) },
    'broken JSON': { weight: 5, expect: [400], ip: good, make: () => ({ method: 'POST', auth: valid, body: '{"group_id": "ac', type: 'application/json' }) },
    'no credentials': { weight: 5, expect: [401], ip: attacker, make: () => ({ method: 'POST', ...json({ group_id: 'acme' }) }) },
    'wrong key, known id': {
      weight: 15,
      expect: [401, 429],
      ip: attacker,
      make: () => ({ method: 'POST', auth: basic(target.publicId, `twk_${randomBytes(32).toString('base64url')}`), ...json({ group_id: 'acme' }) }),
    },
    'unknown id': {
      weight: 15,
      expect: [401, 429],
      ip: attacker,
      make: () => ({ method: 'POST', auth: basic(randomUUID(), app.privateKey), ...json({ group_id: 'acme' }) }),
    },
    'garbage header': {
      weight: 10,
      expect: [401, 429],
      ip: attacker,
      make: () => ({ method: 'POST', auth: garbageAuthorization(), ...json({ group_id: 'acme' }) }),
    },
  };
}

// Malformed but sendable: HTTP itself refuses control characters before our code sees them.
function garbageAuthorization() {
  const printable = () => String.fromCharCode(...Array.from({ length: randomInt(1, 120) }, () => randomInt(0x20, 0x7f)));
  const forms = [
    () => `Basic ${randomBytes(randomInt(1, 90)).toString('base64')}`,
    () => `Basic ${printable()}`,
    () => printable(),
    () => `Bearer ${randomBytes(24).toString('base64url')}`,
    () => `Basic ${Buffer.from(`${randomUUID()}`).toString('base64')}`,
  ];
  return forms[randomInt(forms.length)]().trim() || 'Basic';
}

function pickWeighted(entries, total) {
  let roll = randomInt(total);
  for (const entry of entries) {
    roll -= entry[1].weight;
    if (roll < 0) return entry;
  }
  return entries[entries.length - 1];
}

function runLoad(port, classes) {
  const entries = Object.entries(classes);
  const total = entries.reduce((sum, [, call]) => sum + call.weight, 0);
  const tally = Object.fromEntries(entries.map(([name]) => [name, { sent: 0, byStatus: {}, wrong: 0 }]));
  const wrongExamples = [];
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [
          {
            setupRequest: (request, context) => {
              const [name, call] = pickWeighted(entries, total);
              const made = call.make();
              context.name = name;
              const headers = { 'x-forwarded-for': call.ip() };
              if (made.auth !== undefined) headers.authorization = made.auth;
              if (made.type !== undefined) headers['content-type'] = made.type;
              return { ...request, method: made.method, path: `/api/v1/auth/test${made.query ? `?${made.query}` : ''}`, headers, body: made.body };
            },
            onResponse: (status, _body, context) => {
              const row = tally[context.name];
              row.sent += 1;
              row.byStatus[status] = (row.byStatus[status] || 0) + 1;
              if (!classes[context.name].expect.includes(status)) {
                row.wrong += 1;
                if (wrongExamples.length < 10) wrongExamples.push(`${context.name}: ${status}`);
              }
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, tally, wrongExamples })),
    );
  });
}

async function main() {
  const database = await createDatabase(PROVIDER);
  const env = { DATABASE_URL: database.url };
  const app = cli(['app', 'create', '--name', 'Soak app'], env);
  cli(['app', 'install', app.publicId, '--company', 'acme'], env);
  const target = cli(['app', 'create', '--name', 'Soak target'], env);
  cli(['app', 'install', target.publicId, '--company', 'acme'], env);

  const heapFile = join(mkdtempSync(join(tmpdir(), 'twake-soak-')), 'heap');
  const server = await startTarget(
    'server-process.js',
    [],
    { ...env, NODE_ENV: 'development', TRUST_PROXY: 'loopback', LOG_LEVEL: 'silent', HEAP_PROBE_FILE: heapFile },
    ['--expose-gc', '--require', join(__dirname, 'heap-probe.js')],
  );
  const rssStart = rssMiB(server.pid);
  // A leak shows as RSS that keeps climbing; a heap that settles shows as a plateau.
  const rssSamples = [];
  const sampler = setInterval(() => rssSamples.push(Math.round(rssMiB(server.pid))), 10_000);
  const { result, tally, wrongExamples } = await runLoad(server.port, callClasses(app, target));
  clearInterval(sampler);
  const rssEnd = rssMiB(server.pid);
  await server.stop();
  const heapSamples = existsSync(heapFile) ? readFileSync(heapFile, 'utf8').trim().split('\n').map(Number) : [];
  rmSync(dirname(heapFile), { recursive: true, force: true });
  await database.drop();

  const wrong = Object.values(tally).reduce((sum, row) => sum + row.wrong, 0);
  const answered = Object.values(tally).reduce((sum, row) => sum + row.sent, 0);
  const socketErrors = result.errors + result.timeouts;
  console.log(`Soak: ${SECONDS} s, ${CONNECTIONS} connections, ${PROVIDER}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`requests answered ${answered} (${Math.round(answered / SECONDS)}/s), socket errors and timeouts ${socketErrors}, wrong decisions ${wrong}`);
  console.log(`latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; server RSS ${rssStart.toFixed(1)} MiB at start, ${rssEnd.toFixed(1)} MiB at end`);
  console.log(`server RSS every 10 s (MiB): ${rssSamples.join(', ')}`);
  console.log(`server heap in use after a full collection, every 10 s (MiB): ${heapSamples.join(', ')}`);
  for (const [name, row] of Object.entries(tally)) {
    const statuses = Object.entries(row.byStatus).map(([status, count]) => `${status}: ${count}`).join(', ');
    console.log(`  ${name.padEnd(20)} ${String(row.sent).padStart(8)}  ${statuses}${row.wrong ? `  WRONG ${row.wrong}` : ''}`);
  }
  for (const example of wrongExamples) console.log(`  wrong: ${example}`);
  if (process.env.SOAK_JSON) console.log(JSON.stringify({ answered, wrong, socketErrors, rssStart, rssEnd, rssSamples, heapSamples, tally }));
  if (wrong > 0 || socketErrors > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
