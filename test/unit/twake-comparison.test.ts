// The import against what Twake's own code stored and how the documented export tools write it.
// Each case names the Twake file (linagora/Twake, twake/backend/…) or tool source it is built from.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planImport } from '../../server/src/import/run-import';
import { TEST_TWAKE_SECRET, encodedJson, encryptLegacy, nodeKey, phpKey } from '../helpers/twake-encryption';
import { phpJsonEncode } from '../helpers/twake-exports';

const folder = mkdtempSync(join(tmpdir(), 'twake-comparison-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
};

/**
 * What `cqlsh -e "PAGING OFF; SELECT JSON …"` prints when its output is not a terminal. The `[json]` column
 * is text, and cqlsh's text formatter doubles every backslash before printing it (cqlshlib/formatting.py,
 * format_value_text: `escapedval = val.replace('\\', '\\\\')`, in Apache Cassandra's cqlsh and in
 * scylla-cqlsh alike; color_text's comment: "When not using color, we need to double up the backslashes").
 */
function realCqlsh(rows: ReadonlyArray<Record<string, unknown>>): string {
  // Cassandra's SELECT JSON writes `"key": value` separated by ", ".
  const json = rows.map((row) => JSON.stringify(row).replace(/":/g, '": ').replace(/,"/g, ', "'));
  const printed = json.map((line) => ` ${line.replace(/\\/g, '\\\\')}`);
  const width = Math.max(6, ...printed.map((line) => line.length));
  return `Disabled Query paging.\n\n [json]\n${'-'.repeat(width)}\n${printed.join('\n')}\n\n(${rows.length} rows)\n\n`;
}

describe('the Node-era ScyllaDB/Cassandra recipe (README "Exporting"), as cqlsh really prints it', () => {
  // twake/backend/node/src/services/applications/entities/application.ts:25-33: identity and access are
  // "json" columns, api "encoded_json"; connectors/cassandra/typeTransforms.ts:90-98 stores json columns
  // as JSON.stringify text in a TEXT column, so every row's SELECT JSON holds \" escapes, which cqlsh doubles.
  it('imports an applications row whose identity and access are JSON text', async () => {
    const publicId = '9c3f4a60-8d1e-11ec-a8a3-0242ac120002';
    const file = write(
      'node-applications.cql.txt',
      realCqlsh([
        {
          id: publicId,
          group_id: 'b2e1d0c0-8d1e-11ec-a8a3-0242ac120002',
          identity: JSON.stringify({ code: 'n8n', name: 'n8n', icon: '', description: 'Workflows', website: 'https://n8n.io', categories: [], compatibility: ['twake'] }),
          api: encodedJson({ hooks_url: 'https://n8n.example/hook', allowed_ips: '*', private_key: nodeKey() }),
          access: JSON.stringify({ read: ['channels'], write: ['messages'], delete: ['messages'], hooks: [] }),
        },
      ]),
    );
    const { planned } = await planImport({ files: [file], secret: TEST_TWAKE_SECRET });
    expect(planned.get(publicId)?.name).toBe('n8n');
    expect(planned.get(publicId)?.capabilities).toEqual(expect.arrayContaining(['messages_save', 'messages_remove']));
  });
});

describe("allowed IPs the PHP backend stored but never read", () => {
  // twake/backend/core/src/Twake/Market/Services/MarketApplication.php:183 stores the developer's free text
  // (the form's placeholder is "ip1, ip2, ip3": frontend …/pages/WorkspaceAppsEditor.jsx:423) json_encode'd
  // (Entity/Application.php:453); nothing in the PHP backend reads it back (getApiAllowedIp is only shown to
  // developers, Entity/Application.php:578), and ApplicationApi::getAppFromRequest (ApplicationApi.php:42-100)
  // never looks at the caller's address. A host name there never stopped a PHP-era application from working.
  it('does not refuse the whole export for an application whose allowed-IP text is a host name', async () => {
    const publicId = 'e7a1c2d0-2b3c-11eb-9f1a-0242ac120002';
    const file = write(
      'php-hostname.jsonl',
      `${JSON.stringify({
        id: publicId,
        group_id: '5a0c1e20-2b3c-11eb-9f1a-0242ac120002',
        name: encryptLegacy('Hosted bot'),
        api_private_key: encryptLegacy(phpKey()),
        api_allowed_ip: encryptLegacy(phpJsonEncode('bot.example.com')),
        capabilities: encryptLegacy(phpJsonEncode(['messages_save'])),
        privileges: encryptLegacy('[]'),
      })}\n`,
    );
    const { planned } = await planImport({ files: [file], secret: TEST_TWAKE_SECRET });
    // Unrestricted, as Twake left it; the dropped text is reported.
    expect(planned.get(publicId)?.allowedIps).toEqual([]);
    expect(planned.get(publicId)?.notes).toEqual(expect.arrayContaining([expect.stringMatching(/allowed IPs "bot\.example\.com" dropped/)]));
  });

  it('keeps the readable entries of a PHP-era list that also holds a host name', async () => {
    const publicId = 'e7a1c2d1-2b3c-11eb-9f1a-0242ac120002';
    const file = write(
      'php-mixed.jsonl',
      `${JSON.stringify({
        id: publicId,
        group_id: '5a0c1e20-2b3c-11eb-9f1a-0242ac120002',
        name: encryptLegacy('Mixed bot'),
        api_private_key: encryptLegacy(phpKey()),
        api_allowed_ip: encryptLegacy(phpJsonEncode('10.0.0.0/8, bot.example.com')),
        capabilities: encryptLegacy(phpJsonEncode(['messages_save'])),
        privileges: encryptLegacy('[]'),
      })}\n`,
    );
    const { planned } = await planImport({ files: [file], secret: TEST_TWAKE_SECRET });
    expect(planned.get(publicId)?.allowedIps).toEqual(['10.0.0.0/8']);
  });
});
