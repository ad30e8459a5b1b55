// `npm run bench:nginx`: nginx auth_request with docs/deploy.md's block in front of the real server, against the same nginx with a static 204 as its auth endpoint.
// A: the real `twake-app-auth serve` (SQLite, warm, production, LOG_LEVEL left at info, logs to a file); B1: a node:http 204;
// B2: nginx's own `return 204`. nginx (one worker) and the Node processes on core 0, wrk -t1 on core 1; rounds alternate the order.
// BENCH_ROUNDS (5), BENCH_SECONDS (8), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_NGINX_PORTS (a range `low-high`
// to take the seven ports from; free ports otherwise), BENCH_OUTPUT (docs/benchmarks.md).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const { join } = require('node:path');
const { available, cpuMicroseconds, median, markdownTable, rewriteSection, rssMiB, startTarget, wrk } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const COMPANY = 'bench-company';
const PATH = `/api/v1/auth/test?group_id=${COMPANY}`;
const CLI = join(__dirname, '..', 'server', 'dist', 'cli', 'main.js');
const DEPLOY_DOC = join(__dirname, '..', 'docs', 'deploy.md');
const START = '<!-- bench:nginx:start -->';
const END = '<!-- bench:nginx:end -->';

const TARGETS = [
  { id: 'A', name: 'A: nginx → twake-app-auth serve (SQLite, warm, request logs to a file)' },
  { id: 'B1', name: 'B1: nginx → node:http answering 204' },
  { id: 'B2', name: "B2: nginx → nginx's own `return 204`" },
];

function findNginx() {
  for (const path of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (existsSync(path)) return path;
  return null;
}

/** Why this benchmark cannot run here, or null. */
function missing() {
  if (findNginx() === null) return 'nginx is not installed';
  if (!available('wrk')) return 'wrk is not installed';
  if (!available('taskset') || os.cpus().length < 2) return 'taskset and 2 cores are needed to pin nginx and wrk apart';
  if (!available('openssl')) return 'openssl is needed for the certificate';
  return null;
}

/**
 * The first nginx block of docs/deploy.md, as users copy it, aimed at the auth endpoint on `port`: its
 * upstream (http level) and its locations (server level), the upstream named after the port so that
 * each target has its own.
 */
function documentedBlock(port) {
  const match = /```nginx\n([\s\S]*?)```/.exec(readFileSync(DEPLOY_DOC, 'utf8'));
  const upstream = /^upstream twake_auth \{[\s\S]*?^\}\n/m;
  const server = 'server 127.0.0.1:3000;';
  const found = match === null ? null : upstream.exec(match[1]);
  if (found === null || !found[0].includes(server)) throw new Error(`docs/deploy.md's first nginx block has no upstream twake_auth with ${server}`);
  const name = `twake_auth_${port}`;
  const locations = match[1].replace(upstream, '');
  if (!locations.includes('proxy_pass http://twake_auth/auth/verify;')) throw new Error("docs/deploy.md's first nginx block does not proxy to upstream twake_auth");
  return {
    upstream: found[0].replace('upstream twake_auth {', `upstream ${name} {`).replace(server, `server 127.0.0.1:${port};`),
    locations: locations.replaceAll('http://twake_auth', `http://${name}`),
  };
}

/**
 * `count` ports free now: from BENCH_NGINX_PORTS (a range, `low-high`) or chosen by the system. Each is
 * bound before it is taken: a port in the ephemeral range can be held by a connection in TIME_WAIT.
 */
async function choosePorts(count) {
  const range = /^(\d+)-(\d+)$/.exec(process.env.BENCH_NGINX_PORTS || '');
  const candidates = range === null ? Array(count).fill(0) : Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, index) => Number(range[1]) + index);
  const servers = [];
  for (const candidate of candidates) {
    if (servers.length === count) break;
    const server = net.createServer();
    const bound = await new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (bound) servers.push(server);
  }
  if (servers.length < count) throw new Error(`bench:nginx: fewer than ${count} free ports in ${process.env.BENCH_NGINX_PORTS}`);
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/** One TLS server with docs/deploy.md's block per target; only the auth endpoint's port differs between them. */
function frontServer(tls, port, authPort) {
  const block = documentedBlock(authPort);
  return `${block.upstream}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};
${block.locations}
  }`;
}

/**
 * The whole configuration: a TLS server per target (the validator needs X-Forwarded-Proto: https in
 * production, which the block sends as $scheme), then the backend and the static 204 endpoint as two
 * more servers of the same nginx.
 */
function nginxConfig(folder, tls, ports) {
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${join(folder, 'nginx.pid')};
error_log ${join(folder, 'error.log')} warn;
events { worker_connections 4096; }
http {
  # Off for every target: a cost paid equally by A and B would only bring the ratio closer to 1.
  access_log off;
  client_body_temp_path ${join(folder, 'body')};
  proxy_temp_path ${join(folder, 'proxy')};
  fastcgi_temp_path ${join(folder, 'fastcgi')};
  uwsgi_temp_path ${join(folder, 'uwsgi')};
  scgi_temp_path ${join(folder, 'scgi')};
  upstream backend { server 127.0.0.1:${ports.backend}; }
${frontServer(tls, ports.A, ports.validator)}
${frontServer(tls, ports.B1, ports.node)}
${frontServer(tls, ports.B2, ports.staticAuth)}
  # The backend: the cheapest one there is, so that the ratio shows what the auth step costs.
  server {
    listen 127.0.0.1:${ports.backend};
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
  server {
    listen 127.0.0.1:${ports.staticAuth};
    location / { return 204; }
  }
}
`;
}

function selfSigned(folder) {
  const certFile = join(folder, 'cert.pem');
  const keyFile = join(folder, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile };
}

/** One HTTPS GET through nginx (its certificate is self-signed): status and body. */
function get(port, headers) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: PATH, headers, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

/** Resolves once `check` does not throw, or rejects with its last error after `ms`. */
async function waitFor(check, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function stopper(child) {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
}

/** nginx on core 0 (taskset execs it: the pid is the master's, and the worker inherits the core). */
async function startNginx(folder, config, port) {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'nginx.conf');
  writeFileSync(file, config);
  const nginx = findNginx();
  execFileSync(nginx, ['-t', '-q', '-p', folder, '-c', file], { stdio: 'pipe' });
  const child = spawn('taskset', ['-c', '0', nginx, '-p', folder, '-c', file], { stdio: 'ignore' });
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited with ${code}: ${readFileSync(join(folder, 'error.log'), 'utf8')}`))));
  exited.catch(() => undefined);
  await Promise.race([exited, waitFor(() => get(port, {}), 10_000)]).catch(async (error) => {
    await stopper(child)();
    throw error;
  });
  const workers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
  return { worker: Number(workers[0]), errorLog: join(folder, 'error.log'), stop: stopper(child) };
}

/**
 * `twake-app-auth serve` as docs/deploy.md runs it behind nginx on the same host, on core 0; its logs
 * (LOG_LEVEL unset: info, one line per request) go to `logFile` as a supervisor would send them.
 */
async function startValidator(databaseUrl, port, logFile) {
  const log = openSync(logFile, 'w');
  const env = { PATH: process.env.PATH, DATABASE_URL: databaseUrl, NODE_ENV: 'production', TRUST_PROXY: 'loopback', HOST: '127.0.0.1', PORT: String(port) };
  const child = spawn('taskset', ['-c', '0', process.execPath, CLI, 'serve'], { env, stdio: ['ignore', log, 'pipe'] });
  closeSync(log);
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`twake-app-auth serve exited with ${code}: ${errors}${readFileSync(logFile, 'utf8')}`))));
  exited.catch(() => undefined);
  const listening = () => {
    if (!readFileSync(logFile, 'utf8').includes(`"url":"http://127.0.0.1:${port}"`)) throw new Error(`twake-app-auth serve did not start: ${errors}`);
  };
  await Promise.race([exited, waitFor(listening, 15_000)]).catch(async (error) => {
    await stopper(child)();
    throw error;
  });
  return { pid: child.pid, stop: stopper(child) };
}

/** Lines `file` holds from byte `from` on, and where it ends. */
function countLines(file, from) {
  return new Promise((resolve, reject) => {
    let lines = 0;
    let size = from;
    createReadStream(file, { start: from })
      .on('data', (chunk) => {
        size += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      })
      .on('end', () => resolve({ lines, size }))
      .on('error', reject);
  });
}

/** The database a self-hoster has: migrated, one application created and installed with the CLI. */
function seed(databaseUrl) {
  const cli = (args) => JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl }, encoding: 'utf8' }) || '{}');
  cli(['migrate']);
  const app = cli(['app', 'create', '--name', 'Bench app']);
  cli(['app', 'install', app.publicId, '--company', COMPANY]);
  return app;
}

/** The end of nginx's error log and of the validator's log, to say why a run failed. */
function diagnosis({ nginx, logFile }) {
  const tail = (file, lines) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(none)');
  return `nginx error log:\n${tail(nginx.errorLog, 10)}\nvalidator log:\n${tail(logFile, 5)}`;
}

/** One measured run of `target`: one request checked, a warm-up, then the load. */
async function measure(target, context) {
  const { ports, headers, pids, nginx, logFile } = context;
  // A run where every request is refused measures nothing: the request must pass to the backend first.
  const first = await get(ports[target.id], headers);
  if (first.status !== 200 || first.body !== '{"ok":true}') throw new Error(`${target.name}: ${first.status} ${first.body.slice(0, 300)} instead of 200 {"ok":true}; ${diagnosis(context)}`);
  const drive = (seconds) => wrk({ url: `https://127.0.0.1:${ports[target.id]}${PATH}`, headers, seconds, connections: CONNECTIONS, core: 1 });
  const warm = await drive(WARMUP_SECONDS);
  if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`${target.name}, warm-up: ${warm.non2xx} non-2xx, ${warm.errors ? 'some' : 'no'} socket errors; ${diagnosis(context)}`);
  const pid = pids[target.id];
  const logged = target.id === 'A' ? await countLines(logFile, context.logSize) : null;
  const before = { auth: cpuMicroseconds(pid), nginx: cpuMicroseconds(nginx.worker) };
  const result = await drive(SECONDS);
  result.authCpu = (cpuMicroseconds(pid) - before.auth) / result.total;
  result.nginxCpu = (cpuMicroseconds(nginx.worker) - before.nginx) / result.total;
  // All that core 0 spends on a request in this setup: B2 has no auth process.
  result.coreCpu = (Number.isFinite(result.authCpu) ? result.authCpu : 0) + result.nginxCpu;
  result.rss = rssMiB(pid);
  if (result.non2xx > 0 || result.errors > 0 || !(result.total > 0)) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors ? 'some' : 'no'} socket errors in ${result.total} requests; ${diagnosis(context)}`);
  if (logged !== null) {
    // Every request the validator answered is a line in its log: proof that it logged them all.
    const after = await countLines(logFile, logged.size);
    context.logSize = after.size;
    result.logLines = after.lines;
    if (after.lines < result.total) throw new Error(`${target.name}: ${after.lines} log lines for ${result.total} requests: the request log is not written`);
  }
  return result;
}

/** Runs every target in alternating rounds; returns the heading and the Markdown table. */
async function runNginxBench() {
  const why = missing();
  if (why !== null) throw new Error(`bench:nginx: ${why}`);
  const loadAtStart = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  const folder = mkdtempSync(join(os.tmpdir(), 'twake-bench-nginx-'));
  const running = [];
  try {
    const databaseUrl = `file:${join(folder, 'bench.db')}`;
    const app = seed(databaseUrl);
    const tls = selfSigned(folder);
    // Started once and kept for every round: a listening port given up between runs could be taken by
    // one of the connections nginx opens for each request.
    const [A, B1, B2, backend, staticAuth, validator, node] = await choosePorts(7);
    const ports = { A, B1, B2, backend, staticAuth, validator, node };
    const logFile = join(folder, 'serve.log');
    const serve = await startValidator(databaseUrl, validator, logFile);
    running.push(serve);
    const noContent = await startTarget('no-content-server.js', [], { PORT: String(node) }, [], 0);
    running.push(noContent);
    const nginx = await startNginx(join(folder, 'nginx'), nginxConfig(join(folder, 'nginx'), tls, ports), B2);
    running.push(nginx);
    const headers = { Authorization: `Basic ${Buffer.from(`${app.publicId}:${app.privateKey}`).toString('base64')}` };
    const context = { ports, headers, nginx, logFile, logSize: 0, pids: { A: serve.pid, B1: noContent.pid, B2: NaN } };
    const results = new Map(TARGETS.map((target) => [target.id, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate the order from round to round so drift does not favour one target.
      const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        const result = await measure(target, context);
        results.get(target.id).push(result);
        process.stderr.write(`round ${round + 1}/${ROUNDS} ${target.id}: ${Math.round(result.rps)} req/s\n`);
      }
    }
    return report(results, loadAtStart);
  } finally {
    for (const child of running.reverse()) await child.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

function report(results, loadAtStart) {
  const a = results.get('A');
  const perRound = (id, of) => a.map((run, round) => of(run, results.get(id)[round]));
  const byRate = (run, other) => run.rps / other.rps;
  // A's throughput relative to B's if core 0 were the only limit: B's CPU per request over A's.
  const byCpu = (run, other) => other.coreCpu / run.coreCpu;
  const ratio = { B1: perRound('B1', byRate), B2: perRound('B2', byRate) };
  const cpuRatio = { B1: perRound('B1', byCpu), B2: perRound('B2', byCpu) };
  const cell = (value) => (Number.isFinite(value) ? value.toFixed(0) : '');
  const ratios = (values) => (values === undefined ? '' : `${median(values).toFixed(2)} (${values.map((value) => value.toFixed(2)).join(' ')})`);
  const rows = TARGETS.map((target) => {
    const runs = results.get(target.id);
    return [
      target.name,
      Math.round(median(runs.map((run) => run.rps))),
      median(runs.map((run) => run.p50)).toFixed(2),
      median(runs.map((run) => run.p99)).toFixed(2),
      ratios(ratio[target.id]),
      cell(median(runs.map((run) => run.authCpu))),
      cell(median(runs.map((run) => run.nginxCpu))),
      cell(median(runs.map((run) => run.coreCpu))),
      ratios(cpuRatio[target.id]),
      cell(Math.max(...runs.map((run) => run.rss))),
    ];
  });
  const table = markdownTable(
    [
      'target',
      'requests/s (median)',
      'p50 ms',
      'p99 ms',
      'A / this target, requests/s, median (per round)',
      'auth service CPU µs per request (median)',
      'nginx worker CPU µs per request (median)',
      'core 0 CPU µs per request, both (median)',
      'A / this target by core 0 CPU per request, median (per round)',
      'auth service RSS MiB',
    ],
    rows,
  );
  const verdict = (id) => `A/${id} ${median(ratio[id]).toFixed(2)} (${median(ratio[id]) >= 0.8 ? 'met' : 'not met'}; ${median(cpuRatio[id]).toFixed(2)} by CPU)`;
  // `nginx -v` answers on stderr.
  const nginxVersion = spawnSync(findNginx(), ['-v'], { encoding: 'utf8' }).stderr.replace('nginx version: ', '');
  const loadAtEnd = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  const heading =
    `Run of ${new Date().toISOString()}, Node ${process.version}, ${nginxVersion.trim() || 'nginx'}, ${os.cpus().length} cores, load average ${loadAtStart} at the start and ${loadAtEnd} at the end (1, 5, 15 min), ` +
    `nginx (1 worker) and the Node processes pinned to core 0, wrk -t1 -c${CONNECTIONS} over TLS on core 1, ${ROUNDS} alternating rounds of ${SECONDS} s after ${WARMUP_SECONDS} s warm-up each, ` +
    `${Math.min(...a.map((run) => run.logLines))} or more request log lines per run of A. Goal A ≥ 0.8x B: ${verdict('B1')}, ${verdict('B2')}; each ratio taken per round, then the median.`;
  return { heading, table };
}

/** Rewrites the section of docs/benchmarks.md between the nginx markers with `text`. */
function writeNginxSection(text) {
  const output = process.env.BENCH_OUTPUT || join(__dirname, '..', 'docs', 'benchmarks.md');
  rewriteSection(output, START, END, text);
  return output;
}

module.exports = { missing, runNginxBench, writeNginxSection };

if (require.main === module) {
  runNginxBench()
    .then(({ heading, table }) => {
      console.log(`${heading}\n\n${table}`);
      console.log(`\nwritten to ${writeNginxSection(`${heading}\n\n${table}`)}`);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
