// Export files shaped exactly as each database tool writes Twake's tables, with values encrypted as Twake stored them.
import { encodedJson, encryptLegacy, encryptV1, encryptV2, nodeKey, phpKey } from './twake-encryption';

/** PHP's json_encode of a string: quotes, and "/" escaped as "\/". */
export const phpJsonEncode = (value: unknown): string => JSON.stringify(value).replace(/\//g, '\\/');

/** Node's toMongoDbOrderable: time_hi-time_mid-time_low-rest. */
export function mongoOrderable(uuid: string): string {
  const [low = '', mid = '', hi = '', ...rest] = uuid.split('-');
  return [hi, mid, low, ...rest].join('-');
}

/** PHP's MysqlTimeUUIDType on MySQL: Ramsey's ordered-time bytes as 32 hex digits. */
export function mysqlOrderedHex(uuid: string): string {
  const [low = '', mid = '', hi = '', ...rest] = uuid.split('-');
  return [hi, mid, low, ...rest].join('');
}

/** `mysql --batch --raw --skip-column-names -e "SELECT JSON_OBJECT(...) FROM …"`: one JSON object per line, MySQL's spacing. */
export const mysqlLines = (rows: ReadonlyArray<Record<string, unknown>>): string => rows.map((row) => `${JSON.stringify(row).replace(/":/g, '": ').replace(/,"/g, ', "')}\n`).join('');

/** `mongoexport --collection C`: one relaxed Extended JSON document per line, with its `_id`. */
export const mongoexportLines = (rows: ReadonlyArray<Record<string, unknown>>): string =>
  rows.map((row, index) => `${JSON.stringify({ _id: { $oid: (0x6560a0b1 + index).toString(16).padStart(24, '0') }, ...row })}\n`).join('');

/** `cqlsh -e "PAGING OFF; SELECT JSON * FROM twake.T"`: the paging line, the [json] header, dashes, space-led rows, the row count. */
export function cqlshSelectJson(rows: ReadonlyArray<Record<string, unknown>>): string {
  // cqlsh prints a text value with every backslash doubled and U+007F to U+00A0 as Python escapes
  // (cqlshlib/formatting.py, format_value_text), as it does when writing to a file or a pipe.
  const printed = (json: string) => json.replace(/\\/g, '\\\\').replace(/[\u007f-\u00a0]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const lines = rows.map((row) => ` ${printed(JSON.stringify(row).replace(/":/g, '": ').replace(/,"/g, ', "'))}`);
  const width = Math.max(6, ...lines.map((line) => line.length));
  return `Disabled Query paging.\n\n [json]\n${'-'.repeat(width)}\n${lines.join('\n')}\n\n(${rows.length} rows)\n`;
}

/** The applications of the PHP-era fixture: ids, keys and what Twake would allow, for assertions. */
export interface FixtureApplication {
  publicId: string;
  privateKey: string;
}

/**
 * The PHP-era fixture: `application` and `group_app` rows with Twake's column names, every twake_text
 * column encrypted (legacy, v1 and v2 forms), lists and allowed IPs json_encode'd as PHP wrote them.
 */
export function phpEraRows() {
  const legacyBot = { publicId: 'e7a1c2d0-2b3c-11eb-9f1a-0242ac120002', privateKey: phpKey() };
  const jitsi = { publicId: '0b5d7e10-2b3d-11eb-9f1a-0242ac120002', privateKey: phpKey() };
  const developer = '5a0c1e20-2b3c-11eb-9f1a-0242ac120002';
  const applications = [
    {
      id: legacyBot.publicId,
      group_id: developer,
      name: encryptLegacy('Legacy PHP bot'),
      api_private_key: encryptLegacy(legacyBot.privateKey),
      api_allowed_ip: encryptLegacy(phpJsonEncode('*')),
      capabilities: encryptLegacy(phpJsonEncode(['messages_save', 'display_modal', 'messages_send'])),
      privileges: encryptLegacy(phpJsonEncode(['channels'])),
    },
    {
      id: jitsi.publicId,
      group_id: developer,
      name: encryptV1('Jitsi'),
      api_private_key: encryptV1(jitsi.privateKey),
      api_allowed_ip: encryptV2(phpJsonEncode('127.0.0.0/8, ::1')),
      capabilities: encryptV2(phpJsonEncode(['messages_save', 'messages_send'])),
      privileges: encryptV2(phpJsonEncode(['channels', 'workspace'])),
    },
  ];
  const groupApps = [
    // Empty capabilities: Twake allowed every capability; empty privileges: none.
    { group_id: 'company-empty', app_id: legacyBot.publicId, capabilities: encryptLegacy('[]'), privileges: encryptLegacy('[]') },
    // Granted "workspace", which the application no longer declares: Twake honoured it.
    { group_id: 'company-narrow', app_id: legacyBot.publicId, capabilities: encryptLegacy(phpJsonEncode(['messages_save'])), privileges: encryptLegacy(phpJsonEncode(['channels', 'workspace'])) },
    // The developer company: everything declared, whatever group_app says.
    { group_id: developer, app_id: legacyBot.publicId, capabilities: encryptLegacy(phpJsonEncode(['display_modal'])), privileges: encryptLegacy('[]') },
    // Privileges null: Twake skipped every check.
    { group_id: 'company-null', app_id: jitsi.publicId, capabilities: encryptLegacy('[]'), privileges: null },
    // An installation of an application deleted since.
    { group_id: 'company-orphan', app_id: 'ffffffff-2b3c-11eb-9f1a-0242ac120002', capabilities: encryptLegacy('[]'), privileges: encryptLegacy('[]') },
  ];
  return { legacyBot, jitsi, developer, applications, groupApps };
}

/**
 * The Node-era fixture: `applications` documents (identity and access JSON text, api encoded_json) and
 * `group_app` rows without grant columns, time UUIDs as MongoDB holds them.
 */
export function nodeEraRows() {
  const n8n = { publicId: '9c3f4a60-8d1e-11ec-a8a3-0242ac120002', privateKey: nodeKey() };
  const company = 'b2e1d0c0-8d1e-11ec-a8a3-0242ac120002';
  const applications = [
    {
      id: mongoOrderable(n8n.publicId),
      group_id: mongoOrderable(company),
      is_default: false,
      identity: JSON.stringify({ code: 'n8n', name: 'n8n', icon: '', description: 'Workflows', website: 'https://n8n.io', categories: [], compatibility: ['twake'] }),
      api: encodedJson({ hooks_url: 'https://n8n.example/hook', allowed_ips: '*', private_key: n8n.privateKey }),
      access: JSON.stringify({ read: ['channels', 'users'], write: ['messages'], delete: ['messages'], hooks: ['messages'] }),
      publication: JSON.stringify({ published: false, requested: false }),
      stats: JSON.stringify({ created_at: 1644500000000, updated_at: 1644500000000, version: 1 }),
    },
  ];
  const groupApps = [{ group_id: mongoOrderable('c4a0e5b0-8d1e-11ec-a8a3-0242ac120002'), app_id: mongoOrderable(n8n.publicId), id: mongoOrderable('d5b1f6c0-8d1e-11ec-a8a3-0242ac120002'), created_at: 1644500000000, created_by: 'someone' }];
  // The same kind of row as the Node backend's API answers it (entity names).
  const entityGroupApps = [{ company_id: company, application_id: n8n.publicId, id: 'e6c2a7d0-8d1e-11ec-a8a3-0242ac120002', created_at: 1644500000000 }];
  return { n8n, company, applications, groupApps, entityGroupApps };
}
