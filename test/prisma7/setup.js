// Installs this folder's Prisma 7 packages and generates Prisma 7 clients from our models, each step only
// when its inputs changed. Used by test/integration/prisma7.test.ts, `npm run typecheck`, .ci/run and
// bench/prisma-versions.js. Usage: node test/prisma7/setup.js
//
// - `npm ci --ignore-scripts` from the committed lockfile. No install script is needed: better-sqlite3 is
//   a link to the root's copy (same version, already built by the root's `npm ci`), and @prisma/engines'
//   postinstall only downloads engine binaries, which Prisma 7's generate and driver-adapter runtime do
//   not use.
// - `prisma generate` (generator `prisma-client`) for each provider, from a schema made of the models of
//   prisma/<provider>/schema.prisma (Prisma 7 takes no `url` in the datasource). Generating runs no schema
//   engine; PRISMA_SCHEMA_ENGINE_BINARY=/bin/true satisfies the CLI's check that one is present.
// - The generated TypeScript is kept for the type check (test/prisma7/typecheck.ts) and transpiled to
//   CommonJS beside it for Node (the tests' child processes, the bench).
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const HERE = __dirname;
const ROOT = join(HERE, '..', '..');
const GENERATED = join(HERE, 'generated');
const PROVIDERS = ['sqlite', 'postgresql'];

const hashOf = (...texts) => createHash('sha256').update(texts.join('\0')).digest('hex');
const readIfExists = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null);
const log = (message) => process.stderr.write(`prisma7 setup: ${message}\n`);

function install() {
  const stamp = join(HERE, 'node_modules', '.twake-lock-hash');
  const wanted = hashOf(readFileSync(join(HERE, 'package-lock.json'), 'utf8'));
  if (readIfExists(stamp) === wanted) return false;
  if (!existsSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'))) {
    throw new Error('run `npm ci` at the root first: test/prisma7 links the root better-sqlite3');
  }
  log('npm ci --ignore-scripts (test/prisma7)');
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: HERE, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(stamp, wanted);
  return true;
}

/** Our models (everything from the first `model` or doc comment after the datasource block). */
function modelsOf(provider) {
  const schema = readFileSync(join(ROOT, 'prisma', provider, 'schema.prisma'), 'utf8');
  const datasource = schema.indexOf('datasource db');
  const end = schema.indexOf('}', datasource);
  if (datasource < 0 || end < 0) throw new Error(`no datasource block in prisma/${provider}/schema.prisma`);
  return schema.slice(end + 1).trimStart();
}

function prisma7Schema(provider) {
  return `// Made by test/prisma7/setup.js from prisma/${provider}/schema.prisma: edit the models there.
generator client {
  provider            = "prisma-client"
  output              = "./client"
  moduleFormat        = "cjs"
  importFileExtension = "js"
}

datasource db {
  provider = "${provider}"
}

${modelsOf(provider)}`;
}

function transpileTree(folder, ts) {
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) transpileTree(path, ts);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: path,
      });
      writeFileSync(path.replace(/\.ts$/, '.js'), outputText);
    }
  }
}

function generate() {
  const prismaVersion = JSON.parse(readFileSync(join(HERE, 'node_modules', 'prisma', 'package.json'), 'utf8')).version;
  const schemas = Object.fromEntries(PROVIDERS.map((provider) => [provider, prisma7Schema(provider)]));
  const wanted = hashOf(prismaVersion, readFileSync(__filename, 'utf8'), ...PROVIDERS.map((provider) => schemas[provider]));
  const stamp = join(GENERATED, '.stamp');
  if (readIfExists(stamp) === wanted) return false;
  const ts = require(join(ROOT, 'node_modules', 'typescript'));
  const building = join(HERE, `generated.${process.pid}.tmp`);
  rmSync(building, { recursive: true, force: true });
  try {
    for (const provider of PROVIDERS) {
      const folder = join(building, provider);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'schema.prisma'), schemas[provider]);
      log(`prisma generate ${prismaVersion} (${provider})`);
      execFileSync(join(HERE, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', join(folder, 'schema.prisma')], {
        cwd: folder,
        env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      transpileTree(join(folder, 'client'), ts);
    }
    writeFileSync(join(building, '.stamp'), wanted);
    rmSync(GENERATED, { recursive: true, force: true });
    renameSync(building, GENERATED);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return true;
}

/** Installs and generates what is missing or out of date; returns whether anything was done. */
function setup() {
  const installed = install();
  const generated = generate();
  return installed || generated;
}

module.exports = { setup, GENERATED };

if (require.main === module) {
  try {
    if (!setup()) log('up to date');
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}
