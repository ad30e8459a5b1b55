// What an installation granted as Twake applied it (ApplicationApi::hasCapability / hasPrivilege), as explicit lists.
import { TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from 'twake-app-auth';
import type { TwakeApplication, TwakeInstallation } from './twake-records';

/**
 * How grants Twake honoured beyond the application's declaration are imported: `drop` them (within the
 * declaration only), or `declare` them: exactly what Twake allowed, added to the declaration.
 */
export type UndeclaredGrants = 'drop' | 'declare';

/** An installation's grants, and each rule of Twake's that produced them (counted in the summary). */
export interface TranslatedGrant {
  capabilities: string[];
  privileges: string[];
  /** Short rule names, e.g. "empty capabilities: all declared". */
  rules: string[];
  /** Names granted but not declared (dropped, or added to the declaration with `declare`). */
  undeclared: { capabilities: string[]; privileges: string[] };
}

/**
 * Twake's rules, read from its code:
 * - group_app privileges null: every check skipped (the application could do anything): all it declares;
 * - capabilities null or empty: every capability passes the group_app check: all it declares (Twake
 *   allowed undeclared ones too; no v1 route can need a name the application does not declare here);
 * - privileges empty: none;
 * - the developer company (`group_id` of the application): everything it declares;
 * - a granted name no longer declared: still honoured by Twake (the group_app list is checked first).
 * Node-era rows have no grant columns: the Node backend granted what the application declares.
 */
export function translateGrant(application: TwakeApplication, installation: TwakeInstallation, mode: UndeclaredGrants = 'drop'): TranslatedGrant {
  // Twake's "anything" on the v1 API: every v1 name, next to what the application declares.
  const anyCapability = mode === 'declare' ? [...application.capabilities, ...TWAKE_CAPABILITIES] : application.capabilities;
  const anyPrivilege = mode === 'declare' ? [...application.privileges, ...TWAKE_PRIVILEGES] : application.privileges;
  const rules: string[] = [];
  let capabilities: string[];
  let privileges: string[];
  if (!installation.hasGrantColumns) {
    capabilities = [...application.capabilities];
    privileges = [...application.privileges];
    rules.push('no grant columns (Node era): all declared');
  } else if (installation.privileges === null) {
    capabilities = [...new Set(anyCapability)];
    privileges = [...new Set(anyPrivilege)];
    rules.push(mode === 'declare' ? 'privileges null (Twake skipped every check): every v1 name' : 'privileges null (Twake skipped every check): all declared');
  } else {
    privileges = [...installation.privileges];
    if (installation.capabilities === null || installation.capabilities.length === 0) {
      capabilities = [...new Set(anyCapability)];
      rules.push(mode === 'declare' ? 'empty capabilities (Twake allowed every capability): every v1 capability' : 'empty capabilities (Twake allowed every capability): all declared');
    } else capabilities = [...installation.capabilities];
  }
  if (application.developerCompany !== null && application.developerCompany === installation.companyId) {
    const before = capabilities.length + privileges.length;
    capabilities = [...new Set([...application.capabilities, ...capabilities])];
    privileges = [...new Set([...application.privileges, ...privileges])];
    if (capabilities.length + privileges.length > before) rules.push("developer company (Twake's $group_id == $app->getGroupId()): all declared");
  }
  const undeclared = {
    capabilities: capabilities.filter((name) => !application.capabilities.includes(name)),
    privileges: privileges.filter((name) => !application.privileges.includes(name)),
  };
  return { capabilities, privileges, rules, undeclared };
}
