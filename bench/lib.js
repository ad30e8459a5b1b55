// Shared benchmark plumbing: seeded databases, target processes, load runs, RSS, Markdown tables.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { createAdmin } = require('../dist/admin');
const { openDatabase } = require('../dist/database');
const { migrate } = require('../dist/migrate');

const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/test';

/** A fresh, migrated database (SQLite file or PostgreSQL database); `drop()` deletes it. */
async function createDatabase(provider) {
  if (provider === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'twake-bench-'));
    const url = `file:${join(folder, 'bench.db')}`;
    await migrate(url);
    return { url, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const name = `twake_app_auth_bench_${randomBytes(4).toString('hex')}`;
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

/** Starts `bench/<script>` with arguments, env and extra Node flags, on `core` when given; resolves once it prints "READY <port>". */
function startTarget(script, args, env, extraNodeArgs = [], core = null) {
  const nodeArgs = [...(process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean), ...extraNodeArgs];
  const command = [process.execPath, ...nodeArgs, join(__dirname, script), ...args];
  // taskset execs the command, so the child's pid stays the server's.
  const pinned = core === null ? command : ['taskset', '-c', String(core), ...command];
  const child = spawn(pinned[0], pinned.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
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

/** Whether a command can be run (taskset, wrk). */
function available(command) {
  try {
    require('node:child_process').execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

module.exports = { available, createDatabase, seedApplication, startTarget, rssMiB, load, markdownTable, percentile };
