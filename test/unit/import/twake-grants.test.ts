// Twake's grant rules (ApplicationApi::hasCapability / hasPrivilege) and Node-era scopes, as explicit v1 grants.
import { describe, expect, it } from '@jest/globals';
import { translateAccess } from '../../../server/src/import/node-scopes';
import { translateGrant } from '../../../server/src/import/twake-grants';
import type { TwakeApplication, TwakeInstallation } from '../../../server/src/import/twake-records';
import { TWAKE_CAPABILITIES } from '../../../src/twake/twake-v1';

const application: TwakeApplication = {
  publicId: 'app',
  name: 'App',
  privateKey: 'k',
  capabilities: ['messages_save', 'display_modal'],
  privileges: ['channels'],
  allowedIps: [],
  developerCompany: 'dev',
  era: 'php',
  notes: [],
};
const row = (companyId: string, capabilities: string[] | null, privileges: string[] | null): TwakeInstallation => ({ publicId: 'app', companyId, capabilities, privileges, hasGrantColumns: true });

describe('translateGrant', () => {
  it('should grant every declared capability for an empty list and no privilege for an empty one', () => {
    expect(translateGrant(application, row('c', [], []))).toMatchObject({ capabilities: ['messages_save', 'display_modal'], privileges: [] });
  });

  it('should grant everything declared when privileges are null (Twake skipped every check)', () => {
    expect(translateGrant(application, row('c', ['display_modal'], null))).toMatchObject({ capabilities: ['messages_save', 'display_modal'], privileges: ['channels'] });
  });

  it("should grant everything declared in the developer company, whatever group_app says", () => {
    expect(translateGrant(application, row('dev', ['display_modal'], []))).toMatchObject({ capabilities: ['messages_save', 'display_modal'], privileges: ['channels'] });
  });

  it('should report names granted but no longer declared', () => {
    expect(translateGrant(application, row('c', ['drive_save'], ['workspace'])).undeclared).toEqual({ capabilities: ['drive_save'], privileges: ['workspace'] });
  });

  it('should grant every v1 capability for an empty list with Twake grants', () => {
    const grant = translateGrant(application, row('c', [], []), 'declare');
    expect(grant.capabilities).toEqual(expect.arrayContaining([...TWAKE_CAPABILITIES]));
    expect(grant.undeclared.capabilities).toContain('drive_save');
  });

  it('should grant everything declared for a Node-era row without grant columns', () => {
    expect(translateGrant(application, { ...row('c', null, null), hasGrantColumns: false })).toMatchObject({ capabilities: ['messages_save', 'display_modal'], privileges: ['channels'] });
  });
});

describe('translateAccess', () => {
  it('should map Node-era scopes to v1 names and report the rest', () => {
    expect(translateAccess('write', ['messages', 'files'])).toMatchObject({ capabilities: ['messages_save', 'drive_save'], privileges: [] });
    expect(translateAccess('delete', ['messages'])).toMatchObject({ capabilities: ['messages_remove'] });
    expect(translateAccess('read', ['channels', 'files'])).toMatchObject({ privileges: ['channels', 'workspace_drive', 'drive_list'] });
    expect(translateAccess('read', ['users']).notes).toEqual(['access.read "users": no v1 route needs it, not imported']);
  });

  it("should keep a plain name outside Twake's list as declared, and drop what is not a name", () => {
    const translated = translateAccess('write', ['messages_send', 'a,b']);
    expect(translated.capabilities).toEqual(['messages_send']);
    expect(translated.notes).toEqual([expect.stringMatching(/"messages_send" is not in Twake's v1 list: kept as declared/), expect.stringMatching(/is not a name: dropped/)]);
  });
});
