// What `npm pack` puts in the tarballs: the library's documents users read (neither docs/history, the
// benchmark diary, nor docs/migrations.md, for maintainers), its migrations and no CLI, server or database
// code; the server package's compiled code with its generated Prisma clients, and no sources.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function packed(folder = ROOT): string[] {
  // --ignore-scripts: no prepack build; the list of files is what is asked about.
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: folder, encoding: 'utf8' });
  const [tarball] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return (tarball?.files ?? []).map((file) => file.path);
}

describe('the npm package', () => {
  const files = packed();

  it('ships the documents users read', () => {
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'SECURITY.md', 'README.md', 'CHANGELOG.md', '.env.example', 'docs/benchmarks.md', 'docs/openapi.yaml', 'docs/security.md', 'docs/deploy.md', 'docs/scaling.md']),
    );
  });

  it('leaves out docs/history and docs/migrations.md, which the repository has', () => {
    expect(existsSync(join(ROOT, 'docs', 'history', 'benchmarks-history.md'))).toBe(true);
    expect(existsSync(join(ROOT, 'docs', 'migrations.md'))).toBe(true);
    expect(files.filter((path) => path.startsWith('docs/history/') || path === 'docs/migrations.md')).toEqual([]);
  });

  it('ships the migrations and the internal entry, and no CLI, server, database or generated code', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/internal.js', 'dist/internal.d.ts', 'prisma/sqlite/migrations/20261128000000_init/migration.sql']));
    expect(files.filter((path) => /^dist\/(?:cli|server|database|generated|import)\//.test(path) || path.startsWith('server/'))).toEqual([]);
  });
});

describe('the server package', () => {
  const files = packed(join(ROOT, 'server'));

  it('ships its command, its compiled code and its generated Prisma clients', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/twake-app-auth.js', 'dist/cli/start.js', 'dist/database/migrate.js', 'dist/generated/sqlite/client.js', 'dist/generated/postgresql/client.js']));
  });

  it('ships no sources, declarations, build scripts or migrations (it reads the library\'s)', () => {
    expect(files.filter((path) => path.startsWith('src/') || path.startsWith('scripts/') || path.startsWith('prisma/') || path.endsWith('.d.ts') || path.endsWith('.ts'))).toEqual([]);
  });
});
