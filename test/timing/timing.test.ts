// A smaller run of `npm run bench:timing` in CI, with a looser threshold (the full run uses 100,000
// measurements and 4.5). Both split the measurements between processes (here 8 of 2,500): see bench/timing.js.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('timing of the key comparison (dudect, Welch t)', () => {
  it('tells neither a long shared key prefix from none, nor a known public_id (one key or three live ones, cached company or not, Basic or the token login) from an unknown one', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '..', '..', 'bench', 'timing.js')], {
      env: { ...process.env, TIMING_MEASUREMENTS: '20000', TIMING_PROCESSES: '8', TIMING_PAIRS: 'ab,ac,ac-fresh,dc,login-ab,login-ac', TIMING_JSON: '1' },
      encoding: 'utf8',
    });
    const [prefix, knownId, uncachedCompany, rotatingKeys, loginPrefix, loginKnownId] = JSON.parse(output.trim().split('\n').pop() as string) as number[];
    expect(prefix).toBeLessThan(10);
    expect(knownId).toBeLessThan(10);
    expect(uncachedCompany).toBeLessThan(10);
    // Finding 5 of test/integration/abuse-findings.test.ts: an application with three live keys (two
    // rotations within their grace period) against an unknown id, which is compared against dummies.
    expect(rotatingKeys).toBeLessThan(10);
    // The token login (POST /api/console/v1/login) checks the key the same way.
    expect(loginPrefix).toBeLessThan(10);
    expect(loginKnownId).toBeLessThan(10);
  }, 120_000);
});
