// A five-second run of `npm run bench:soak` (the full run lasts 60 s): the real server under mixed load.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

interface SoakReport {
  answered: number;
  wrong: number;
  socketErrors: number;
  tally: Record<string, { sent: number; byStatus: Record<string, number> }>;
}

describe('soak (bench/soak.js)', () => {
  it.each(['sqlite', 'postgresql'])('should answer every call of the mix correctly on %s', async (provider) => {
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
  }, 60_000);
});
