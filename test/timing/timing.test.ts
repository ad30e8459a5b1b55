// A smaller run of `npm run bench:timing` in CI, with a looser threshold (the full run uses 100,000 and 4.5).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('timing of the key comparison (dudect, Welch t)', () => {
  it('does not tell a wrong key sharing a long prefix from one sharing none', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '..', '..', 'bench', 'timing.js')], {
      env: { ...process.env, TIMING_MEASUREMENTS: '20000', TIMING_PAIRS: 'ab', TIMING_JSON: '1' },
      encoding: 'utf8',
    });
    const [t] = JSON.parse(output.trim().split('\n').pop() as string) as number[];
    expect(t).toBeLessThan(10);
  }, 120_000);
});
