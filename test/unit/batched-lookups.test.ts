import { describe, expect, it } from '@jest/globals';
import { MAX_BATCH, batchedLookups, type BatchRow, type LookupRunner } from '../../src/stores/batched-lookups';
import type { LookupRow } from '../../src/stores/lookup-sql';

// The rows a lookup of `publicId` gets: one key row for ids starting with "app", none otherwise.
function rowsFor(publicId: string, companyId: string | null): LookupRow[] {
  if (!publicId.startsWith('app')) return [];
  return [
    {
      id: `id-${publicId}`,
      public_id: publicId,
      name: publicId,
      enabled: true,
      key_id: `key-${publicId}`,
      digest: 'ab'.repeat(32),
      expires_at: null,
      allowed_ips: null,
      capabilities: null,
      privileges: null,
      installed_application_id: companyId === 'c1' ? `id-${publicId}` : null,
      granted_capabilities: null,
      granted_privileges: null,
    },
  ];
}

// A value the database refuses (as PostgreSQL refuses "€" in a LATIN1 database): it fails any statement holding it.
const REFUSED = '€';
const refusal = () => Object.assign(new Error('character has no equivalent in encoding "LATIN1"'), { code: '22P05' });

/** A runner answering from rowsFor, that records what it was asked; `many` answers in reverse order. */
function recordingRunner(fail = false) {
  const calls: Array<{ kind: 'one' | 'many'; size: number }> = [];
  const runner: LookupRunner = {
    one: async (publicId, companyId) => {
      calls.push({ kind: 'one', size: 1 });
      if (fail) throw new Error('database down');
      if (publicId === REFUSED || companyId === REFUSED) throw refusal();
      return rowsFor(publicId, companyId);
    },
    many: async (publicIds, companyIds) => {
      calls.push({ kind: 'many', size: publicIds.length });
      if (fail) throw new Error('database down');
      if (publicIds.includes(REFUSED) || companyIds.includes(REFUSED)) throw refusal();
      const rows: BatchRow[] = publicIds.flatMap((publicId, index) => rowsFor(publicId, companyIds[index] ?? null).map((row) => ({ ...row, position: String(index + 1) })));
      return rows.reverse();
    },
    failedOnAValue: (error) => (error as { code?: string }).code === '22P05',
  };
  return { runner, calls };
}

describe('batchedLookups', () => {
  it('sends a lone lookup with the single statement', async () => {
    const { runner, calls } = recordingRunner();
    const record = await batchedLookups(runner)('app-1', 'c1');
    expect(record).toMatchObject({ publicId: 'app-1', installed: true });
    expect(calls).toEqual([{ kind: 'one', size: 1 }]);
  });

  it('sends lookups made together in one statement, and gives each its own answer', async () => {
    const { runner, calls } = recordingRunner();
    const find = batchedLookups(runner);
    const asked: Array<[string, string | null]> = [['app-1', 'c1'], ['nobody', 'c1'], ['app-2', 'c2'], ['app-1', null], ['app-3', 'c1']];
    const records = await Promise.all(asked.map(([publicId, companyId]) => find(publicId, companyId)));
    expect(calls).toEqual([{ kind: 'many', size: 5 }]);
    expect(records.map((record) => (record === null ? null : [record.publicId, record.installed]))).toEqual([['app-1', true], null, ['app-2', false], ['app-1', false], ['app-3', true]]);
  });

  it('does not hold a lookup made after a batch was sent', async () => {
    const { runner, calls } = recordingRunner();
    const find = batchedLookups(runner);
    await Promise.all([find('app-1', 'c1'), find('app-2', 'c1')]);
    await find('app-3', 'c1');
    expect(calls).toEqual([{ kind: 'many', size: 2 }, { kind: 'one', size: 1 }]);
  });

  it(`splits more than ${MAX_BATCH} lookups into statements of at most ${MAX_BATCH}`, async () => {
    const { runner, calls } = recordingRunner();
    const find = batchedLookups(runner);
    const records = await Promise.all(Array.from({ length: 2 * MAX_BATCH + 1 }, (_, index) => find(`app-${index}`, 'c1')));
    expect(calls).toEqual([{ kind: 'many', size: MAX_BATCH }, { kind: 'many', size: MAX_BATCH }, { kind: 'one', size: 1 }]);
    records.forEach((record, index) => expect(record?.publicId).toBe(`app-${index}`));
  });

  it('fails every lookup of a statement that fails, and the next ones still run', async () => {
    const failing = recordingRunner(true);
    const find = batchedLookups(failing.runner);
    const outcomes = await Promise.allSettled([find('app-1', 'c1'), find('app-2', 'c1'), find('nobody', null)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(find('app-1', 'c1')).rejects.toThrow('database down');
    expect(failing.calls).toEqual([{ kind: 'many', size: 3 }, { kind: 'one', size: 1 }]);
  });

  it('sends the lookups of a statement that failed on one of its values again one by one, so that only that one fails', async () => {
    const { runner, calls } = recordingRunner();
    const find = batchedLookups(runner);
    const outcomes = await Promise.allSettled([find('app-1', 'c1'), find(REFUSED, 'c1'), find('app-2', REFUSED), find('app-3', 'c1')]);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value?.publicId : 'refused'))).toEqual(['app-1', 'refused', 'refused', 'app-3']);
    expect(calls).toEqual([{ kind: 'many', size: 4 }, ...Array.from({ length: 4 }, () => ({ kind: 'one', size: 1 }))]);
  });
});
