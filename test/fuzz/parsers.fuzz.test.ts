// Runs the fuzz script with a smaller count in CI (the full 1,000,000 is `npm run fuzz`).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('fuzzing the parsers', () => {
  it('survives 50,000 random and mutated inputs', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '..', '..', 'bench', 'fuzz.js')], {
      env: { ...process.env, FUZZ_COUNT: '50000' },
      encoding: 'utf8',
    });
    expect(output).toMatch(/^fuzzed 50000 inputs in [\d.]+ s: no exception, \d+ parsed as credentials/);
  }, 120_000);
});
