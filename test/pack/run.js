// Packs both packages (the library at the root, twake-app-auth-server in server/), installs them into
// fresh projects and runs the smoke tests there: the library with Express 5 and 4 (CommonJS, ES module,
// TypeScript nodenext, the passport strategy), beside Prisma 7 and Prisma 6.19 (no ERESOLVE, one copy of
// each shared package), the server package's command on SQLite and PostgreSQL, the same command installed by
// pnpm without hoisting (each package sees only what it declares), and the backends of examples/ (their own
// package.json, with twake-app-auth pointed at the tarball) through their own test scripts.
// Usage: node test/pack/run.js   (needs the npm registry, and PostgreSQL at TEST_POSTGRES_URL; the server's
// database is named PACK_DATABASE_PREFIX (default pkg_) followed by the process id, and dropped after)
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } = require('node:fs');
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

/** An empty project (for the server package: none of the library's smoke files). */
function emptyProject(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'commonjs' }));
  return dir;
}

/** `npm pack` in `dir`, into its own folder of `work`; the tarball's path. */
function pack(dir, name) {
  const destination = join(work, `${name}-tarball`);
  mkdirSync(destination);
  sh(dir, 'npm', ['pack', '--pack-destination', destination, '--loglevel=error'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return join(destination, readdirSync(destination).find((file) => file.endsWith('.tgz')));
}

/** Asserts that `names` are each installed once in `dir` (no second copy nested in the library); says which. */
function assertOnce(dir, names) {
  return names
    .map((name) => {
      const found = copies(dir, name);
      assert.equal(found.length, 1, `one ${name} only, found: ${found.join(', ')}`);
      return `${name}@${found[0].split('@').pop()}`;
    })
    .join(', ');
}

async function main() {
  const library = pack(ROOT, 'library');
  const serverPackage = pack(join(ROOT, 'server'), 'server');
  const manifest = require(join(ROOT, 'package.json'));
  assert.equal(manifest.bin, undefined, 'the library has no bin');
  for (const name of ['@prisma/client', '@prisma/adapter-pg', '@prisma/adapter-better-sqlite3', 'better-sqlite3', 'pino', 'prom-client', 'ioredis']) {
    assert.equal(manifest.peerDependencies[name], undefined, `no ${name} peer`);
  }
  // listenForChanges loads the application's pg: an optional peer, never installed for the library alone.
  assert.equal(manifest.peerDependenciesMeta.pg?.optional, true, 'pg is an optional peer');
  assert.equal(require(join(ROOT, 'server', 'package.json')).dependencies['twake-app-auth'], manifest.version, 'the server needs this library version');

  // Express 5: the package alone (express comes as its required peer), then the extras for the tests.
  const five = project('express5');
  sh(five, 'npm', ['install', ...quiet, library]);
  assert.match(sh(five, 'node', ['-p', "require('express/package.json').version"]), /^5\./);
  console.log(`library (twake-app-auth + express 5): ${footprint(five)}`);
  console.log(`  shared with Express 5: ${assertShared(five)}`);
  assert.equal(existsSync(join(five, 'node_modules', '@prisma')), false, 'no Prisma for library users');
  assert.equal(existsSync(join(five, 'node_modules', 'better-sqlite3')), false, 'no SQLite build for library users');
  assert.equal(existsSync(join(five, 'node_modules', '.bin', 'twake-app-auth')), false, 'no command in the library');
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
  sh(four, 'npm', ['install', ...quiet, library, 'express@4']);
  assert.equal(existsSync(join(four, 'node_modules', 'twake-app-auth', 'node_modules', 'express')), false, 'one Express only');
  console.log(`library (twake-app-auth + express 4): ${footprint(four)}`);
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

  // Beside the application's own Prisma, 7 or 6.19, in one install command as users type it: no ERESOLVE
  // (it would throw here), and one copy of Express and of @prisma/client.
  for (const [name, packages] of [
    ['prisma7', ['express@5', '@prisma/client@7', '@prisma/adapter-pg@7', 'pg']],
    ['prisma6', ['express@4', '@prisma/client@6.19', '@prisma/adapter-pg@6.19', 'pg']],
  ]) {
    const dir = emptyProject(name);
    sh(dir, 'npm', ['install', ...quiet, library, ...packages]);
    const shared = assertOnce(dir, ['express', '@prisma/client', 'pg']);
    assert.equal(typeof require(join(dir, 'node_modules', 'twake-app-auth')).createPrismaStore, 'function');
    console.log(`library beside ${packages.join(' ')}: ok (${shared})`);
  }

  await server(emptyProject('server'), library, serverPackage);
  await serverWithPnpm(emptyProject('server-pnpm'), library, serverPackage);
  examples(library);
}

/**
 * Each folder of examples/ copied alone (without node_modules or build output), its twake-app-auth
 * dependency pointed at the tarball, installed and tested with its own `npm test`: a failing test throws.
 */
function examples(library) {
  const source = join(ROOT, 'examples');
  for (const name of readdirSync(source, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)) {
    const dir = join(work, `example-${name}`);
    const skipped = new Set(['node_modules', 'dist', 'generated', 'data', 'package-lock.json']);
    cpSync(join(source, name), dir, { recursive: true, filter: (path) => !skipped.has(path.split('/').pop()) });
    const manifestPath = join(dir, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    assert.ok(manifest.dependencies['twake-app-auth'], `examples/${name} depends on twake-app-auth`);
    manifest.dependencies['twake-app-auth'] = `file:${library}`;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    sh(dir, 'npm', ['install', ...quiet], { timeout: 15 * 60_000 });
    const tested = sh(dir, 'npm', ['test']);
    const passed = /^(?:#|ℹ) pass (\d+)$/m.exec(tested);
    assert.ok(passed && Number(passed[1]) > 0, `examples/${name}: no test passed\n${tested}`);
    console.log(`example ${name}: npm test ok (${passed[1]} tests, ${footprint(dir)})`);
  }
}

/** Runs `twake-app-auth serve` from `dir` until `use(port)` settles. */
async function serving(dir, env, use) {
  const server = spawn('npx', ['--no-install', 'twake-app-auth', 'serve'], {
    cwd: dir,
    env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  try {
    const port = await new Promise((resolvePort, reject) => {
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      server.stdout.on('data', (chunk) => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(String(chunk));
        if (match) resolvePort(Number(match[1]));
      });
    });
    await use(port);
  } finally {
    // npx runs the command as its child: stop the process group this spawn started, and wait for it.
    if (server.exitCode === null) {
      const exited = new Promise((resolveExit) => server.once('exit', resolveExit));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
  }
}

// The server package installed alone (with the library tarball, since neither is published): its command
// migrates, creates an application and serves, on SQLite and on PostgreSQL.
async function server(dir, library, serverPackage) {
  sh(dir, 'npm', ['install', ...quiet, library, serverPackage], { timeout: 15 * 60_000 });
  console.log(`server (twake-app-auth-server): ${footprint(dir)}`);
  console.log(`  ${assertOnce(dir, ['twake-app-auth', 'express', '@prisma/client', 'pg'])}`);
  const npx = (args, env) => sh(dir, 'npx', ['--no-install', 'twake-app-auth', ...args], { env });
  assert.equal(npx(['--version'], process.env).trim(), require(join(ROOT, 'package.json')).version);

  const database = `${process.env.PACK_DATABASE_PREFIX ?? 'pkg_'}${process.pid}`;
  const url = new URL(POSTGRES);
  url.pathname = `/${database}`;
  const base = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'silent' };
  await smokeServer(npx, dir, { ...base, DATABASE_URL: 'file:./data/smoke.db' }, 'SQLite');
  sh(ROOT, 'psql', [POSTGRES, '-qc', `CREATE DATABASE ${database}`]);
  try {
    await smokeServer(npx, dir, { ...base, DATABASE_URL: url.toString() }, 'PostgreSQL');
  } finally {
    sh(ROOT, 'psql', [POSTGRES, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
  }
}

/**
 * The server package installed by pnpm with hoist=false: a package can load only what its own package.json
 * declares, so an import the library or the server uses without declaring it fails here. The library comes
 * from its tarball for the server's dependency too (an override: neither package is published).
 */
async function serverWithPnpm(dir, library, serverPackage) {
  const manifestPath = join(dir, 'package.json');
  writeFileSync(
    manifestPath,
    JSON.stringify({
      ...JSON.parse(readFileSync(manifestPath, 'utf8')),
      dependencies: { 'twake-app-auth-server': `file:${serverPackage}`, 'twake-app-auth': `file:${library}` },
      pnpm: { overrides: { 'twake-app-auth': `file:${library}` } },
    }),
  );
  writeFileSync(join(dir, '.npmrc'), 'hoist=false\n');
  sh(dir, 'npx', ['--yes', 'pnpm@9', 'install', '--reporter=silent'], { timeout: 15 * 60_000 });
  assert.equal(existsSync(join(dir, 'node_modules', 'pino')), false, 'pnpm put only the direct dependencies at the top');
  // The layout is made; npx (which serving() runs) would warn about a setting it does not know.
  rmSync(join(dir, '.npmrc'));
  const command = (args, env) => sh(dir, join(dir, 'node_modules', '.bin', 'twake-app-auth'), args, { env });
  assert.match(command(['--help'], process.env), /^Usage: twake-app-auth /);
  const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: 'file:./data/smoke.db' };
  await smokeServer(command, dir, env, 'SQLite, installed by pnpm without hoisting');
}

async function smokeServer(npx, dir, env, label) {
  npx(['migrate'], env);
  const created = JSON.parse(npx(['app', 'create', '--name', 'Smoke', '--json'], env));
  npx(['app', 'install', created.publicId, '--company', 'acme'], env);
  await serving(dir, env, async (port) => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const authorization = `Basic ${Buffer.from(`${created.publicId}:${created.privateKey}`).toString('base64')}`;
    const answer = await fetch(`http://127.0.0.1:${port}/api/v1/auth/test?group_id=acme`, { headers: { authorization } });
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).company.id, 'acme');
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /twake_app_auth_decisions_total\{code="ok"\} 1/);
  });
  console.log(`server package: migrate, app create, serve ok (${label})`);
}

main()
  .then(() => rmSync(work, { recursive: true, force: true }))
  .catch((error) => {
    console.error(error.stderr ?? '', error);
    console.error(`left for inspection: ${work}`);
    process.exit(1);
  });
