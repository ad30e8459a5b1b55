// A smaller run of `npm run bench:timing` in CI, with a looser threshold (the full run uses 100,000 and 4.5).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('timing of the key comparison (dudect, Welch t)', () => {
  it('tells neither a long shared key prefix from none, nor a known public_id from an unknown one, even naming uncached companies', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '..', '..', 'bench', 'timing.js')], {
      env: { ...process.env, TIMING_MEASUREMENTS: '20000', TIMING_PAIRS: 'ab,ac,ac-fresh', TIMING_JSON: '1' },
      encoding: 'utf8',
    });
    const [prefix, knownId, uncachedCompany] = JSON.parse(output.trim().split('\n').pop() as string) as number[];
    expect(prefix).toBeLessThan(10);
    expect(knownId).toBeLessThan(10);
    expect(uncachedCompany).toBeLessThan(10);
  }, 120_000);
});
