// Row decoding of the lookup: expiries of every driver form, and unreadable ones treated as past.
import { describe, expect, it } from '@jest/globals';
import { toRecord, type LookupRow } from '../../src/stores/lookup-sql';

function row(expiresAt: unknown): LookupRow {
  return {
    id: 'a',
    public_id: 'p',
    name: 'n',
    enabled: true,
    key_id: 'k',
    digest: '00',
    expires_at: expiresAt,
    allowed_ips: '',
    capabilities: 'messages_save,messages_remove',
    privileges: 'channels,workspace',
    installed_application_id: 'a',
    granted_capabilities: 'messages_save',
    granted_privileges: '',
  };
}

const expiryOf = (expiresAt: unknown) => toRecord([row(expiresAt)])?.keys[0]?.expiresAt;

describe('toRecord expiries', () => {
  it('reads a Date, epoch milliseconds and ISO-8601 text', () => {
    const at = new Date('2026-11-29T08:44:54.526Z');
    expect(expiryOf(at)).toEqual(at);
    expect(expiryOf(at.getTime())).toEqual(at);
    expect(expiryOf(BigInt(at.getTime()))).toEqual(at);
    expect(expiryOf(String(at.getTime()))).toEqual(at);
    expect(expiryOf(at.toISOString())).toEqual(at);
    expect(expiryOf(null)).toBeNull();
  });

  it('treats an unreadable expiry as already past, never as no expiry', () => {
    for (const value of [new Date(Number.NaN), Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 10n ** 20n, 'infinity', 'soon', {}]) {
      expect(expiryOf(value)).toEqual(new Date(0));
    }
  });
});

describe('toRecord installation and lists', () => {
  it('reads the installation from the joined row, and the stored lists as arrays', () => {
    const record = toRecord([{ ...row(null), allowed_ips: '10.0.0.0/8,::1/128', granted_privileges: 'channels,workspace' }]);
    expect(record).toMatchObject({ installed: true, granted: { capabilities: ['messages_save'], privileges: ['channels', 'workspace'] }, allowedIps: ['10.0.0.0/8', '::1/128'] });
    expect(toRecord([{ ...row(null), installed_application_id: null, granted_capabilities: null, granted_privileges: null }])).toMatchObject({ installed: false });
  });

  it('grants nothing beyond what the application declares now', () => {
    const narrowed = toRecord([{ ...row(null), granted_capabilities: 'messages_save,messages_remove', granted_privileges: 'channels,drive_list', capabilities: 'messages_save', privileges: '' }]);
    expect(narrowed?.granted).toEqual({ capabilities: ['messages_save'], privileges: [] });
    const within = toRecord([{ ...row(null), granted_capabilities: 'messages_save', granted_privileges: 'channels' }]);
    expect(within?.granted).toEqual({ capabilities: ['messages_save'], privileges: ['channels'] });
  });
});
