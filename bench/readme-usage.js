// The README's "Usage in an Express app" sample, compiled and run as printed: what `npm run bench` measures as the README's path.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const README = join(__dirname, '..', 'README.md');
const HEADING = '## Usage in an Express app';

/** The section's first TypeScript sample, as printed. */
function readmeUsageSample() {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  const sample = start === -1 ? null : /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (sample === null) throw new Error(`README.md has no TypeScript sample under "${HEADING}"`);
  return sample[1];
}

// Compiles the sample to CommonJS in a child process: the TypeScript compiler (some 20 MiB of live heap) then
// never enters the process that runs the sample, where every full collection would mark it again. Loaded there,
// it tripled the live heap of the README's benchmark target and its collector's pauses with it.
const COMPILE = `const ts = require('typescript');
let source = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => (source += chunk)).on('end', () => {
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  process.stdout.write(ts.transpileModule(source, { compilerOptions: options }).outputText);
});`;

function compiledSample() {
  return execFileSync(process.execPath, ['-e', COMPILE], { input: readmeUsageSample(), encoding: 'utf8', cwd: join(__dirname, '..') });
}

/**
 * Runs the sample against `DATABASE_URL`: `{ app, close }`, the Express app it builds and a function that
 * disconnects the PrismaClient it made. Its imports are served
 * from this checkout: `twake-app-auth` is `library` (the build, or the sources in tests), its PrismaClient
 * is the one generated from our models for `provider`. On SQLite, `PrismaPg` stands for the adapter the
 * sample's comment names instead, `PrismaBetterSQLite3`, given the same URL; nothing else is changed.
 */
function runReadmeUsage({ provider, library }) {
  const outputText = compiledSample();
  const express = require('express');
  const apps = [];
  // The sample's `express()`, recorded so that the caller gets the app it built.
  const recordingExpress = Object.assign((...args) => {
    const app = express(...args);
    apps.push(app);
    return app;
  }, express);
  const adapterPg =
    provider === 'sqlite'
      ? {
          PrismaPg: function PrismaPg({ connectionString }) {
            const { PrismaBetterSQLite3 } = require('@prisma/adapter-better-sqlite3');
            return new PrismaBetterSQLite3({ url: connectionString });
          },
        }
      : require('@prisma/adapter-pg');
  const generated = require(join(__dirname, '..', 'server', 'dist', 'generated', provider, 'client'));
  const clients = [];
  const modules = {
    express: recordingExpress,
    '@prisma/adapter-pg': adapterPg,
    './generated/prisma/client': {
      // `new PrismaClient(…)` in the sample makes the generated client itself, recorded to be closed.
      PrismaClient: function PrismaClient(...args) {
        const client = new generated.PrismaClient(...args);
        clients.push(client);
        return client;
      },
    },
    'twake-app-auth': library,
  };
  const load = (name) => {
    if (!(name in modules)) throw new Error(`the README sample imports ${name}`);
    const value = modules[name];
    return typeof value === 'function' ? Object.assign(value, { default: value }) : value;
  };
  new Function('require', 'exports', outputText)(load, {});
  if (apps.length !== 1) throw new Error(`the README sample built ${apps.length} Express apps, not 1`);
  return { app: apps[0], close: () => Promise.all(clients.map((client) => client.$disconnect())) };
}

module.exports = { readmeUsageSample, runReadmeUsage };
