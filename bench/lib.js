// Shared benchmark plumbing: seeded databases, target processes, load runs, RSS, Markdown tables.
const { execFile, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { createAdmin } = require('../dist/admin/admin');
const { openDatabase } = require('../server/dist/database/database');
const { migrate } = require('../server/dist/database/migrate');

const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/test';

/** A fresh, migrated database (SQLite file or PostgreSQL database named `<prefix>_…`); `drop()` deletes it. */
async function createDatabase(provider, prefix = 'twake_app_auth_bench') {
  if (provider === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'twake-bench-'));
    const url = `file:${join(folder, 'bench.db')}`;
    await migrate(url);
    return { url, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Creates one application installed in `company`; returns its credentials. */
async function seedApplication(url, company) {
  const database = openDatabase(url);
  try {
    const created = await createAdmin(database.prisma).createApplication({ name: 'Bench app' });
    await createAdmin(database.prisma).install(created.publicId, company);
    return created;
  } finally {
    await database.close();
  }
}

/**
 * Starts `bench/<script>` (or a script at an absolute path) with arguments, env and extra Node flags, on `core` when given; resolves once it prints "READY <port>".
 * With `logFile`, the target's standard output goes to that file (as a server's logs would) and it says READY on fd 3 instead;
 * `wrapper` is a command line the target runs under (valgrind).
 */
function startTarget(script, args, env, extraNodeArgs = [], core = null, { logFile = null, wrapper = [] } = {}) {
  const nodeArgs = [...(process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean), ...extraNodeArgs];
  // A wrapper (valgrind) execs the target too: the pid stays the server's.
  const command = [...wrapper, process.execPath, ...nodeArgs, resolve(__dirname, script), ...args];
  // taskset execs the command, so the child's pid stays the server's.
  const pinned = core === null ? command : ['taskset', '-c', String(core), ...command];
  const output = logFile === null ? 'pipe' : openSync(logFile, 'a');
  const child = spawn(pinned[0], pinned.slice(1), {
    env: { ...process.env, ...env, ...(logFile === null ? {} : { BENCH_READY_FD: '3' }) },
    stdio: logFile === null ? ['ignore', 'pipe', 'inherit'] : ['ignore', output, 'inherit', 'pipe'],
  });
  if (logFile !== null) closeSync(output);
  const announcements = logFile === null ? child.stdout : child.stdio[3];
  return new Promise((resolve, reject) => {
    let buffer = '';
    announcements.on('data', (chunk) => {
      buffer += chunk;
      const match = /READY (\d+)/.exec(buffer);
      if (match) {
        resolve({
          port: Number(match[1]),
          pid: child.pid,
          stop: () =>
            new Promise((done) => {
              child.once('exit', done);
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} ${args.join(' ')} exited with ${code}`)));
  });
}

/** Resident set size of a process, in MiB (Linux). */
function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return kib / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used, in microseconds (Linux). */
function cpuMicroseconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticksPerSecond = 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

/** wrk (on `core` when given): requests/s, total requests, p50 and p99 in ms, non-2xx count, socket errors. */
function wrk({ url, headers, seconds, connections, core = null }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]), url];
  const command = core === null ? ['wrk', ...args] : ['taskset', '-c', String(core), 'wrk', ...args];
  return new Promise((resolvePromise, reject) => {
    execFile(command[0], command.slice(1), { encoding: 'utf8' }, (error, stdout) => {
      if (error) return reject(error);
      const number = (pattern) => Number((pattern.exec(stdout) || [])[1] || NaN);
      const ms = (pattern) => {
        const match = pattern.exec(stdout);
        if (!match) return NaN;
        const scale = { us: 0.001, ms: 1, s: 1000 }[match[2]];
        return Number(match[1]) * scale;
      };
      resolvePromise({
        rps: number(/Requests\/sec:\s+([\d.]+)/),
        total: number(/(\d+) requests in/),
        p50: ms(/50%\s+([\d.]+)(us|ms|s)/),
        p99: ms(/99%\s+([\d.]+)(us|ms|s)/),
        non2xx: number(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
        errors: /Socket errors/.test(stdout) ? 1 : 0,
      });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Drives `url` for `seconds` with `connections` and returns requests/s, latency percentiles and error counts. */
function load({ url, seconds, connections, method = 'POST', headers = {}, body }) {
  return new Promise((resolve, reject) => {
    autocannon({ url, duration: seconds, connections, method, headers, body, pipelining: 1 }, (error, result) => {
      if (error) return reject(error);
      resolve({
        rps: result.requests.average,
        total: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      });
    });
  });
}

/** Renders rows (arrays of cells) as a Markdown table. */
function markdownTable(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Replaces the text between the `start` and `end` markers of `file` (appends both when missing), keeping the rest. */
function rewriteSection(file, start, end, text) {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const at = previous.indexOf(start);
  const until = previous.indexOf(end);
  const generated = `${start}\n${text}\n${end}`;
  writeFileSync(file, at < 0 || until < 0 ? `${previous}\n${generated}\n` : previous.slice(0, at) + generated + previous.slice(until + end.length));
}

/** Whether a command can be run (taskset, wrk). */
function available(command) {
  try {
    require('node:child_process').execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

module.exports = { available, createDatabase, rewriteSection, seedApplication, startTarget, rssMiB, cpuMicroseconds, wrk, median, load, markdownTable, percentile };
