// Each package declares what its built code loads: every bare require in dist/ is a dependency or a peer
// of the library, every one in server/dist/ a dependency of the server package (pnpm and Yarn PnP let a
// package load only what it declares). Reads the build output: `npm test` builds first.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function manifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
}

function builtFiles(folder: string): string[] {
  if (!existsSync(folder)) throw new Error(`${relative(ROOT, folder)} is missing: run npm run build`);
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return builtFiles(path);
    return /\.(?:js|d\.ts)$/.test(entry.name) ? [path] : [];
  });
}

/** `@scope/name` or `name` of a bare specifier. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/**
 * Each package the files of `folder` load, with the first file that does: requires, imports and type imports
 * (comments ignored), and the names passed to requireOptional / requireAllOptional, which load a package by name.
 */
function loadedPackages(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of builtFiles(folder)) {
    const text = readFileSync(file, 'utf8');
    // `declare module 'x'` in a declaration file augments a module, it loads nothing: the Request type of
    // express-serve-static-core comes with @types/express (an optional peer, checked below).
    const augmented = new Set([...text.matchAll(/^\s*declare module ["']([^"']+)["']/gm)].map(([, name]) => name));
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName).filter((name) => !augmented.has(name));
    for (const [, single] of text.matchAll(/requireOptional\)?(?:<[^>]*>)?\(\s*["']([^"']+)["']/g)) specifiers.push(single ?? '');
    for (const [, list] of text.matchAll(/requireAllOptional\)?\(\s*\[([^\]]*)\]/g)) {
      for (const [, name] of (list ?? '').matchAll(/["']([^"']+)["']/g)) specifiers.push(name ?? '');
    }
    for (const specifier of specifiers) {
      if (specifier === '' || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const name = packageOf(specifier);
      if (!found.has(name)) found.set(name, relative(ROOT, file));
    }
  }
  return found;
}

/** The packages of `loaded` that `declared` does not name, with the file that loads each. */
function undeclared(loaded: Map<string, string>, declared: readonly string[]): string[] {
  return [...loaded].filter(([name]) => !declared.includes(name)).map(([name, file]) => `${name} (${file})`);
}

describe('declared dependencies', () => {
  it('the library: every package dist/ loads is a dependency or a peer', () => {
    const library = manifest(ROOT);
    const loaded = loadedPackages(join(ROOT, 'dist'));
    expect(loaded.size).toBeGreaterThan(3);
    expect(library.peerDependencies?.['@types/express']).toBeDefined();
    expect(undeclared(loaded, [...Object.keys(library.dependencies ?? {}), ...Object.keys(library.peerDependencies ?? {})])).toEqual([]);
  });

  it('the library: none of the server package\'s drivers is a dependency or a required peer', () => {
    const library = manifest(ROOT);
    const required = [...Object.keys(library.dependencies ?? {}), ...Object.keys(library.peerDependencies ?? {}).filter((name) => library.peerDependenciesMeta?.[name]?.optional !== true)];
    for (const name of ['@prisma/client', '@prisma/adapter-pg', '@prisma/adapter-better-sqlite3', 'pg', 'better-sqlite3', 'pino', 'prom-client', 'ioredis']) {
      expect(required).not.toContain(name);
    }
  });

  it('the library: every dependency is loaded by dist/ (none is left over from the server)', () => {
    const library = manifest(ROOT);
    const loaded = loadedPackages(join(ROOT, 'dist'));
    expect(Object.keys(library.dependencies ?? {}).filter((name) => !loaded.has(name))).toEqual([]);
  });

  it('the server package: every package server/dist/ loads is one of its dependencies', () => {
    const server = manifest(join(ROOT, 'server'));
    const loaded = loadedPackages(join(ROOT, 'server', 'dist'));
    expect(loaded.has('twake-app-auth')).toBe(true);
    expect(undeclared(loaded, Object.keys(server.dependencies ?? {}))).toEqual([]);
  });

  it('the server package: the repository installs each of its dependencies (the root\'s lock holds them)', () => {
    const root = manifest(ROOT);
    const installed = [...Object.keys(root.dependencies ?? {}), ...Object.keys((root as Manifest & { devDependencies?: Record<string, string> }).devDependencies ?? {}), root.name];
    expect(Object.keys(manifest(join(ROOT, 'server')).dependencies ?? {}).filter((name) => !installed.includes(name))).toEqual([]);
  });

  it('the server package: every dependency is loaded by server/dist/', () => {
    const server = manifest(join(ROOT, 'server'));
    const loaded = loadedPackages(join(ROOT, 'server', 'dist'));
    expect(Object.keys(server.dependencies ?? {}).filter((name) => !loaded.has(name))).toEqual([]);
  });
});
