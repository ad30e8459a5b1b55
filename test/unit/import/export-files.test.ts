// Reading export files exactly as mongoexport, mysql --batch --raw and cqlsh write them.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOf, readExportFile } from '../../../server/src/import/export-files';
import { TwakeImportError } from '../../../server/src/import/import-error';
import { uuidFromStore } from '../../../server/src/import/twake-records';
import { cqlshSelectJson, mongoexportLines, mongoOrderable, mysqlLines, mysqlOrderedHex } from '../../helpers/twake-exports';

const folder = mkdtempSync(join(tmpdir(), 'export-files-'));
const file = (name: string, text: string): string => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};
const records = async (path: string) => {
  const found: Array<Record<string, unknown>> = [];
  for await (const record of readExportFile(path)) found.push(record.raw);
  return found;
};

describe('readExportFile', () => {
  it('should read mongoexport lines, with their _id', async () => {
    const path = file('apps.jsonl', mongoexportLines([{ id: 'a', identity: '{"name":"A"}' }, { id: 'b' }]));
    expect(formatOf(path)).toBe('json-lines');
    expect(await records(path)).toEqual([expect.objectContaining({ id: 'a', _id: { $oid: expect.any(String) } }), expect.objectContaining({ id: 'b' })]);
  });

  it("should read mysql --batch --raw JSON_OBJECT lines (MySQL's spacing, escaped slashes)", async () => {
    const path = file('mysql.jsonl', mysqlLines([{ id: 'a', api_allowed_ip: '"10.0.0.0\\/8"' }]));
    expect(formatOf(path)).toBe('json-lines');
    expect(await records(path)).toEqual([{ id: 'a', api_allowed_ip: '"10.0.0.0\\/8"' }]);
  });

  it("should read cqlsh SELECT JSON output, with or without the paging line, skipping the header, dashes and row count", async () => {
    const withPaging = file('cql.txt', cqlshSelectJson([{ id: 'a' }, { id: 'b' }]));
    const withoutPaging = file('cql2.txt', cqlshSelectJson([{ id: 'c' }]).replace('Disabled Query paging.\n\n', ''));
    expect(formatOf(withPaging)).toBe('cqlsh');
    expect(formatOf(withoutPaging)).toBe('cqlsh');
    expect(await records(withPaging)).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(await records(withoutPaging)).toEqual([{ id: 'c' }]);
  });

  it('should read a JSON document spread over lines, tagging each array', async () => {
    const path = file('doc.json', JSON.stringify({ applications: [{ id: 'a' }], group_apps: [{ app_id: 'a', group_id: 'g' }] }, null, 2));
    expect(formatOf(path)).toBe('document');
    const found = [];
    for await (const record of readExportFile(path)) found.push([record.where, record.table]);
    expect(found).toEqual([['applications[0]', 'applications'], ['group_apps[0]', 'group_apps']]);
  });

  it('should name the file and line of a broken JSON line', async () => {
    const path = file('broken.jsonl', '{"id":"a"}\n{"id":\n');
    await expect(records(path)).rejects.toThrow(TwakeImportError);
    await expect(records(path)).rejects.toThrow(/broken\.jsonl:2 is not valid JSON/);
  });
});

describe('uuidFromStore', () => {
  it("should put back MongoDB's orderable and MySQL's ordered-hex time UUIDs, and leave others", () => {
    const uuid = 'e7a1c2d0-2b3c-11eb-9f1a-0242ac120002';
    expect(uuidFromStore(mongoOrderable(uuid))).toBe(uuid);
    expect(uuidFromStore(mysqlOrderedHex(uuid))).toBe(uuid);
    expect(uuidFromStore(uuid)).toBe(uuid);
    expect(uuidFromStore('company-a')).toBe('company-a');
  });
});
