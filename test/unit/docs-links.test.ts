// Every relative link of the Markdown documentation reaches a file of the repository (and a heading of it
// when it names one), and every docs/… path the text mentions exists: moving a section or a file cannot
// leave a reference behind.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const DOCUMENTS = [...['README.md', 'SECURITY.md', 'CHANGELOG.md'].map((name) => join(ROOT, name)), ...markdownFiles(join(ROOT, 'docs'))];

/** The text outside fenced code blocks. */
function prose(path: string): string {
  return readFileSync(path, 'utf8').replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** The anchors GitHub gives the headings of a Markdown file. */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const match of prose(path).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (match[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

describe('links in the documentation', () => {
  it('covers the documents it is meant to', () => {
    expect(DOCUMENTS.map((path) => relative(ROOT, path))).toEqual(expect.arrayContaining(['README.md', 'SECURITY.md', 'docs/benchmarks.md', 'docs/history/benchmarks-history.md']));
  });

  it.each(DOCUMENTS.map((path) => [relative(ROOT, path), path]))('%s: relative links reach a file and a heading', (_name, path) => {
    const broken: string[] = [];
    for (const match of prose(path).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [file = '', anchor] = target.split('#');
      const resolved = file === '' ? path : join(dirname(path), file);
      if (!existsSync(resolved)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  const scripts = readdirSync(join(ROOT, 'bench')).filter((name) => name.endsWith('.js')).map((name) => join(ROOT, 'bench', name));
  it.each([...DOCUMENTS, ...scripts].map((path) => [relative(ROOT, path), path]))('%s: every docs/ path it names exists', (_name, path) => {
    const missing = [...readFileSync(path, 'utf8').matchAll(/(?<![\w/.-])(docs\/[\w./-]*\w)/g)].map((match) => match[1] ?? '').filter((named) => !existsSync(join(ROOT, named)));
    expect(missing).toEqual([]);
  });
});
