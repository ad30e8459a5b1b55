// An import that stops half-way (a failing batch) is resumed by running it again, on SQLite and PostgreSQL.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testProviders } from '../helpers/databases';
import { useTestDatabase } from '../helpers/use-test-database';
import { openImportStore } from '../../server/src/import/open-import-store';
import { runImport } from '../../server/src/import/run-import';
import type { ImportStore } from '../../server/src/import/import-store';
import { createAdmin } from '../../src';

const lines: string[] = [];
for (let index = 0; index < 30; index += 1) {
  const id = `11111111-0000-4000-8000-${index.toString().padStart(12, '0')}`;
  lines.push(JSON.stringify({ id, identity: '{"name":"Resumed"}', api: JSON.stringify({ private_key: `key-${index}`.padEnd(44, 'k') }), access: '{"write":["messages"]}' }));
  for (let company = 0; company < 3; company += 1) lines.push(JSON.stringify({ company_id: `c${company}`, application_id: id }));
}
const file = join(mkdtempSync(join(tmpdir(), 'resume-')), 'export.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);

describe.each(testProviders())('a resumable import (%s)', (provider) => {
  const database = useTestDatabase(provider);

  it('should keep what a failed run wrote, mark it pending, and finish on the next run', async () => {
    const store = await openImportStore(database().url);
    let calls = 0;
    // The second batch of installations fails, as a dropped connection would.
    const failing: ImportStore = {
      ...store,
      writeInstallations: async (rows, overwrite) => {
        calls += 1;
        if (calls === 2) throw new Error('connection lost');
        return store.writeInstallations(rows, overwrite);
      },
    };
    await expect(runImport(failing, { files: [file], batchSize: 20 })).rejects.toThrow('connection lost');
    await store.close();
    const halfway = await createAdmin(database().prisma).listApplications();
    expect(halfway).toHaveLength(30);
    expect(halfway.reduce((sum, application) => sum + application.installations.length, 0)).toBe(20);

    const again = await openImportStore(database().url);
    try {
      const report = await runImport(again, { files: [file], batchSize: 20 });
      expect(report.counts).toMatchObject({ resumed: 30, created: 0 });
      expect(report.keysAdded).toBe(0);
    } finally {
      await again.close();
    }
    const finished = await createAdmin(database().prisma).listApplications();
    expect(finished.reduce((sum, application) => sum + application.installations.length, 0)).toBe(90);
    expect(finished.every((application) => application.imported && application.installations.every((row) => row.capabilities.join() === 'messages_save'))).toBe(true);

    // Finished: a third run leaves them alone.
    const third = await openImportStore(database().url);
    try {
      expect((await runImport(third, { files: [file] })).counts).toMatchObject({ kept: 30 });
    } finally {
      await third.close();
    }
  });
});
