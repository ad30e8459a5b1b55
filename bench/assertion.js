// `npm run bench:assertion`: what the signed identity assertion costs.
// 1. In this process, alternating rounds: one pass's assertion when a recent one is reused (the usual
//    case: an application calling the same route), a fresh signature (the first call of a route, or after
//    a third of the lifetime), and the backend's verification; against an empty await.
// 2. Over HTTP: the server's app (createApp) answering the same forward-auth request, with the assertion
//    signer and without it, pinned to core 0 with the load generator on core 1, alternating rounds: the
//    server's own CPU per request, side by side.
// BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_OPS (20000).
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const { available, cpuMicroseconds, createDatabase, load, markdownTable, median, seedApplication, startTarget } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const OPS = Number(process.env.BENCH_OPS || 20000);
const COMPANY = 'bench-company';
const PIN = available('taskset') && os.cpus().length >= 2;

// The load generator runs in this process: move it to core 1 once, before anything is measured.
if (PIN) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

const identity = Object.freeze({
  applicationId: 'a6d0c0f4-1111-4c1e-9d44-000000000001',
  publicId: 'b7e1d1f5-2222-4c1e-9d44-000000000002',
  name: 'Bench app',
  keyId: 'c8f2e2a6-3333-4c1e-9d44-000000000003',
  companyId: COMPANY,
  capabilities: Object.freeze(['messages_save']),
  privileges: Object.freeze(['channels']),
});

async function timePerOp(operation) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < OPS; index += 1) await operation(index);
  return Number(process.hrtime.bigint() - started) / OPS / 1000;
}

async function inProcess() {
  const { createAssertionSigner } = require('../dist/assertion/signer');
  const { createAssertionVerifier } = require('../dist/assertion/verifier');
  const { generateSigningKey } = require('../dist/assertion/signing-keys');
  const { importJWK } = require('jose');
  const row = await generateSigningKey('EdDSA', new Date());
  const key = { kid: row.id, alg: 'EdDSA', key: await importJWK(JSON.parse(row.privateJwk), 'EdDSA') };
  const ring = { current: () => key, published: () => ({ keys: [JSON.parse(row.publicJwk)] }), close: () => undefined };
  const signer = createAssertionSigner({ keys: ring, issuer: 'twake-app-auth', audience: 'twake-backend' });
  const verify = createAssertionVerifier({ keys: ring.published(), issuer: 'twake-app-auth', audience: 'twake-backend' });
  // Remembers one token: alternating two, every verification checks a signature.
  const verifyAfresh = createAssertionVerifier({ keys: ring.published(), issuer: 'twake-app-auth', audience: 'twake-backend', maxRemembered: 1 });
  const request = { method: 'POST', path: '/api/v1/messages/save' };
  const token = await signer.sign(identity, request);
  const otherToken = await signer.sign({ ...identity, name: 'Other' }, request);

  const cases = {
    'empty await (baseline)': () => Promise.resolve(),
    'assertion reused (same identity and route within 10 s)': () => signer.sign(identity, request),
    'assertion signed (first call of a route)': (index) => signer.sign(identity, { method: 'POST', path: `/api/v1/messages/${index}-${Math.random()}` }),
    'verification in the backend, token seen before (static key set)': () => verify(token, request),
    'verification in the backend, new token (signature checked)': (index) => verifyAfresh(index % 2 === 0 ? token : otherToken, request),
  };
  const results = new Map(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const names = round % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse();
    for (const name of names) results.get(name).push(await timePerOp(cases[name]));
  }
  return [...results].map(([name, values]) => [name, median(values).toFixed(2), `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`]);
}

async function overHttp() {
  const database = await createDatabase('sqlite');
  const { publicId, privateKey } = await seedApplication(database.url, COMPANY);
  const authorization = `Basic ${Buffer.from(`${publicId}:${privateKey}`).toString('base64')}`;
  const targets = [
    { name: 'forward-auth pass with the assertion', variant: 'with' },
    { name: 'forward-auth pass without it', variant: 'without' },
  ];
  const results = new Map(targets.map((target) => [target.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const server = await startTarget('assertion-server.js', [target.variant], { DATABASE_URL: database.url }, [], PIN ? 0 : null);
      const headers = { Authorization: authorization, 'X-Original-URI': `/api/v1/notes?group_id=${COMPANY}`, 'X-Original-Method': 'GET' };
      const options = { url: `http://127.0.0.1:${server.port}/auth/verify`, method: 'GET', headers, connections: CONNECTIONS };
      await load({ ...options, seconds: WARMUP_SECONDS });
      const before = cpuMicroseconds(server.pid);
      const result = await load({ ...options, seconds: SECONDS });
      const cpu = (cpuMicroseconds(server.pid) - before) / result.total;
      await server.stop();
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      results.get(target.name).push({ rps: result.rps, cpu });
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.name}: ${Math.round(result.rps)} req/s, ${cpu.toFixed(1)} µs CPU/request\n`);
    }
  }
  await database.drop();
  const [withIt, without] = targets.map((target) => results.get(target.name));
  const rows = targets.map((target) => {
    const runs = results.get(target.name);
    return [target.name, Math.round(median(runs.map((run) => run.rps))), median(runs.map((run) => run.cpu)).toFixed(1)];
  });
  const extra = median(withIt.map((run, index) => run.cpu - without[index].cpu));
  return { rows, extra };
}

async function main() {
  const micro = await inProcess();
  process.stdout.write(`\nIn process, ${OPS} operations per round, ${ROUNDS} rounds (µs per operation, median and range):\n\n`);
  process.stdout.write(`${markdownTable(['operation', 'µs', 'range'], micro)}\n`);
  const http = await overHttp();
  process.stdout.write(`\nThe server over HTTP (${PIN ? 'server on core 0, load generator on core 1' : 'not pinned'}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s):\n\n`);
  process.stdout.write(`${markdownTable(['target', 'req/s (median)', 'server CPU µs/request (median)'], http.rows)}\n`);
  process.stdout.write(`\nThe assertion's extra server CPU per pass, paired by round: ${http.extra.toFixed(1)} µs\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
