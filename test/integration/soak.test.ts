// A five-second run of `npm run bench:soak` (the full run lasts 60 s): the real server under mixed load.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeOnPostgres } from '../helpers/describe-on-postgres';

interface SoakReport {
  answered: number;
  wrong: number;
  socketErrors: number;
  tally: Record<string, { sent: number; byStatus: Record<string, number> }>;
}

/** A five-second soak on `provider`: every call of the mix answered as it should be. */
async function soak(provider: 'sqlite' | 'postgresql'): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '..', '..', 'bench', 'soak.js')], {
    env: { ...process.env, SOAK_SECONDS: '5', SOAK_CONNECTIONS: '16', SOAK_ATTACKERS: '2', SOAK_DATABASE: provider, SOAK_JSON: '1' },
  });
  const report = JSON.parse(stdout.trim().split('\n').pop() as string) as SoakReport;
  expect(report.wrong).toBe(0);
  expect(report.socketErrors).toBe(0);
  expect(report.answered).toBeGreaterThan(500);
  for (const row of Object.values(report.tally)) expect(row.sent).toBeGreaterThan(0);
  // The refused calls come from two addresses: their budget (100 failures each) runs out within the run.
  expect(report.tally['unknown id']?.byStatus['429']).toBeGreaterThan(0);
  expect(report.tally['valid POST']?.byStatus).toEqual({ '200': report.tally['valid POST']?.sent });
}

describe('soak (bench/soak.js)', () => {
  it('should answer every call of the mix correctly on sqlite', () => soak('sqlite'), 60_000);
});

describeOnPostgres('soak (bench/soak.js) on PostgreSQL', () => {
  it('should answer every call of the mix correctly on postgresql', () => soak('postgresql'), 60_000);
});
