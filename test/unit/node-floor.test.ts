// The declared Node floor (engines: >=20.19) holds: 20.19 is the first Node 20 that loads ES modules with
// require() (jose, for assertions) without a flag. The key check also keeps working without
// `crypto.hash` (Node 20.0 to 20.11), run in a process where it is taken away.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixture = (name: string) => join(__dirname, '..', 'fixtures', name);
const run = (preload: string[]) => JSON.parse(execFileSync(process.execPath, [...preload, fixture('key-check.js')], { encoding: 'utf8' })) as Record<string, unknown>;
// SHA-256("abc"), FIPS 180-2 appendix B.1.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('the Node floor', () => {
  it('declares Node 20.19 or later, and this Node loads jose through require() as the built package does', () => {
    expect(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).engines).toEqual({ node: '>=20.19' });
    const loaded = execFileSync(process.execPath, ['-e', `const { jose } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'assertion', 'jose.js'))}); process.stdout.write(typeof jose().SignJWT)`], { encoding: 'utf8' });
    expect(loaded).toBe('function');
  });

  it('checks keys without crypto.hash (Node 20.0 to 20.11), with the same digests', () => {
    expect(run(['--require', fixture('without-crypto-hash.js')])).toEqual({ hasHash: false, right: 200, wrong: 401, digest: ABC });
  });

  it('checks keys with crypto.hash where it exists (control)', () => {
    expect(run([])).toEqual({ hasHash: true, right: 200, wrong: 401, digest: ABC });
  });
});
