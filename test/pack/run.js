// Packs the tarball, installs it into fresh projects (Express 5 and 4) and runs the smoke tests there:
// CommonJS, ES module, TypeScript nodenext, the passport strategy, and the CLI and server on PostgreSQL.
// Usage: node test/pack/run.js   (needs the npm registry, and PostgreSQL at TEST_POSTGRES_URL; the CLI's
// database is named PACK_DATABASE_PREFIX (default twake_pack_) followed by the process id)
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');
const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const work = mkdtempSync(join(tmpdir(), 'twake-pack-'));
const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];

function sh(cwd, command, args, options = {}) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Packages and bytes under node_modules (what `npm install` put on disk). */
function footprint(dir) {
  const packages = sh(dir, 'npm', ['ls', '--all', '--parseable']).trim().split('\n').length - 1;
  const bytes = Number(sh(dir, 'du', ['-sb', 'node_modules']).split('\t')[0]);
  return `${packages} packages, ${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Packages that Express brings and the core uses too: each must be installed once, the copy Express uses.
const SHARED_WITH_EXPRESS = ['body-parser', 'raw-body', 'iconv-lite', 'type-is'];

/** Every installed copy of `name` in the project (its path and version), from `npm ls`. */
function copies(dir, name) {
  const paths = new Set(sh(dir, 'npm', ['ls', '--all', '--parseable', name]).trim().split('\n').filter((path) => path.endsWith(`/node_modules/${name}`)));
  return [...paths].map((path) => `${path.slice(dir.length + 1)}@${require(join(path, 'package.json')).version}`);
}

/** Asserts that Express and the core share one copy of each of SHARED_WITH_EXPRESS; says which. */
function assertShared(dir) {
  const found = SHARED_WITH_EXPRESS.map((name) => [name, copies(dir, name)]);
  for (const [name, paths] of found) assert.equal(paths.length, 1, `one ${name} only, found: ${paths.join(', ')}`);
  return found.map(([name, [path]]) => `${name}@${path.split('@').pop()}`).join(', ');
}

function project(name) {
  const dir = join(work, name);
  cpSync(__dirname, dir, { recursive: true, filter: (path) => !path.endsWith('run.js') });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'commonjs' }));
  return dir;
}

async function main() {
  sh(ROOT, 'npm', ['pack', '--pack-destination', work, '--loglevel=error'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = join(work, readdirSync(work).find((file) => file.endsWith('.tgz')));

  // Express 5: the package alone (express comes as its required peer), then the extras for the tests.
  const five = project('express5');
  sh(five, 'npm', ['install', ...quiet, tarball]);
  assert.match(sh(five, 'node', ['-p', "require('express/package.json').version"]), /^5\./);
  console.log(`middleware only (twake-app-auth + express 5): ${footprint(five)}`);
  console.log(`  shared with Express 5: ${assertShared(five)}`);
  assert.equal(existsSync(join(five, 'node_modules', '@prisma')), false, 'no Prisma for middleware users');
  assert.equal(existsSync(join(five, 'node_modules', 'better-sqlite3')), false, 'no SQLite build for middleware users');
  sh(five, 'npm', ['install', ...quiet, 'passport@0.7', 'typescript@5', '@types/express@5', '@types/node@20']);
  console.log(sh(five, 'node', ['app.cjs']).trim());
  console.log(sh(five, 'node', ['app.mjs']).trim());
  writeFileSync(
    join(five, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'] }, files: ['app.mts'] }),
  );
  sh(five, 'npx', ['tsc', '-p', '.']);
  cpSync(join(five, 'check.cjs'), join(five, 'out', 'check.cjs'));
  console.log(sh(five, 'node', ['out/app.mjs']).trim());

  // Express 4 next to it: no second Express inside our package, and Express 4's body-parser 1.x and type-is 1.x
  // are the ones the core uses.
  const four = project('express4');
  sh(four, 'npm', ['install', ...quiet, tarball, 'express@4']);
  assert.equal(existsSync(join(four, 'node_modules', 'twake-app-auth', 'node_modules', 'express')), false, 'one Express only');
  console.log(`middleware only (twake-app-auth + express 4): ${footprint(four)}`);
  console.log(`  shared with Express 4: ${assertShared(four)}`);
  sh(four, 'npm', ['install', ...quiet, 'passport@0.7', 'typescript@5', '@types/express@4', '@types/node@20']);
  assertShared(four);
  console.log(sh(four, 'node', ['app.cjs']).trim().replace('ok', 'ok (Express 4)'));
  console.log(sh(four, 'node', ['app.mjs']).trim().replace('ok', 'ok (Express 4)'));
  // The declarations compile against @types/express 4 too (an optional peer: 4.17.21+ or 5).
  cpSync(join(five, 'tsconfig.json'), join(four, 'tsconfig.json'));
  sh(four, 'npx', ['tsc', '-p', '.']);
  cpSync(join(four, 'check.cjs'), join(four, 'out', 'check.cjs'));
  console.log(sh(four, 'node', ['out/app.mjs']).trim().replace('ok', 'ok (Express 4)'));

  await cli(project('cli'), tarball);
}

// The CLI: says what to install when a database peer is missing, then works once it is installed.
async function cli(dir, tarball) {
  sh(dir, 'npm', ['install', ...quiet, tarball]);
  const database = `${process.env.PACK_DATABASE_PREFIX ?? 'twake_pack_'}${process.pid}`;
  const url = new URL(POSTGRES);
  url.pathname = `/${database}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'development', LOG_LEVEL: 'silent' };
  const bin = join(dir, 'node_modules', '.bin', 'twake-app-auth');
  assert.match(sh(dir, bin, ['--version']).trim(), /^\d+\.\d+\.\d+/);
  let refused;
  try {
    sh(dir, bin, ['app', 'list'], { env });
  } catch (error) {
    refused = error;
  }
  assert.equal(refused?.status, 1);
  assert.match(refused.stderr, /^twake-app-auth: The CLI and server on PostgreSQL needs "@prisma\/client", "@prisma\/adapter-pg", "pg", not installed here: npm install @prisma\/client @prisma\/adapter-pg pg\n$/);

  sh(dir, 'npm', ['install', ...quiet, '@prisma/client@6.19.3', '@prisma/adapter-pg@6.19.3', 'pg@8', 'pino@10', 'prom-client@15']);
  console.log(`CLI and server on PostgreSQL (+ @prisma/client @prisma/adapter-pg pg pino prom-client): ${footprint(dir)}`);
  sh(ROOT, 'psql', [POSTGRES, '-qc', `CREATE DATABASE ${database}`]);
  let server;
  try {
    const created = JSON.parse(sh(dir, bin, ['app', 'create', '--name', 'Smoke', '--json'], { env }));
    sh(dir, bin, ['app', 'install', created.publicId, '--company', 'acme'], { env });
    server = spawn(bin, ['serve'], { cwd: dir, env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise((resolvePort, reject) => {
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      server.stdout.on('data', (chunk) => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(String(chunk));
        if (match) resolvePort(Number(match[1]));
      });
    });
    const authorization = `Basic ${Buffer.from(`${created.publicId}:${created.privateKey}`).toString('base64')}`;
    const answer = await fetch(`http://127.0.0.1:${port}/api/v1/auth/test?group_id=acme`, { headers: { authorization } });
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).company.id, 'acme');
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /twake_app_auth_decisions_total\{code="ok"\} 1/);
    console.log('cli and server ok (PostgreSQL)');
  } finally {
    server?.kill('SIGTERM');
    sh(ROOT, 'psql', [POSTGRES, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
  }
}

main()
  .then(() => rmSync(work, { recursive: true, force: true }))
  .catch((error) => {
    console.error(error.stderr ?? '', error);
    console.error(`left for inspection: ${work}`);
    process.exit(1);
  });
