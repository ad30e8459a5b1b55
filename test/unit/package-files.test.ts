// What `npm pack` puts in the tarball besides dist/ and the migrations: the user-facing documents, and
// neither docs/history (the benchmark diary) nor docs/migrations.md (for maintainers).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function packed(): string[] {
  // --ignore-scripts: no prepack build; the list of files is what is asked about.
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: ROOT, encoding: 'utf8' });
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
});
