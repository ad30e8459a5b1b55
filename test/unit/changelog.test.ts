// CHANGELOG.md keeps the Keep a Changelog shape: Unreleased first, then dated versions, newest first, each
// holding only the usual kinds of change, and every entry under one of them.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const lines = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8').split('\n');
const KINDS = ['Added', 'Changed', 'Changed: performance', 'Deprecated', 'Removed', 'Fixed', 'Security'];
const RELEASE = /^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$/;

interface Release {
  heading: string;
  kinds: string[];
}

function releases(): Release[] {
  const found: Release[] = [];
  for (const line of lines) {
    if (line.startsWith('## ')) found.push({ heading: line, kinds: [] });
    else if (line.startsWith('### ')) found.at(-1)?.kinds.push(line.slice(4));
  }
  return found;
}

describe('CHANGELOG.md', () => {
  it('opens with Unreleased, then versions newest first with real dates not after one another', () => {
    expect(lines[0]).toBe('# Changelog');
    const [unreleased, ...versions] = releases();
    expect(unreleased?.heading).toBe('## [Unreleased]');
    expect(versions.length).toBeGreaterThan(0);
    const parsed = versions.map(({ heading }) => {
      const match = RELEASE.exec(heading);
      if (match === null) throw new Error(`not "## [x.y.z] - YYYY-MM-DD": ${heading}`);
      const date = match[4] ?? '';
      expect(new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10)).toBe(date);
      return { version: [Number(match[1]), Number(match[2]), Number(match[3])], date };
    });
    for (let i = 1; i < parsed.length; i++) {
      const [newer, older] = [parsed[i - 1], parsed[i]];
      if (newer === undefined || older === undefined) continue;
      const order = newer.version.map((part, index) => part - (older.version[index] ?? 0)).find((difference) => difference !== 0) ?? 0;
      expect(order).toBeGreaterThan(0);
      expect(newer.date >= older.date).toBe(true);
    }
  });

  it('names the version in package.json among its releases', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(releases().map((release) => release.heading)).toContainEqual(expect.stringMatching(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - `)));
  });

  it('groups each release by kind of change, each kind once, every entry under one', () => {
    for (const release of releases()) {
      for (const kind of release.kinds) expect(KINDS).toContain(kind);
      expect(new Set(release.kinds).size).toBe(release.kinds.length);
    }
    let heading = '';
    for (const line of lines) {
      if (line.startsWith('#')) heading = line;
      else if (line.startsWith('- ')) expect(heading).toMatch(/^### /);
    }
  });
});
