// Checks what an application declares (capabilities, privileges, allowed IPs) and what a company grants, before anything is written.
import { InvalidAllowedIpError, normaliseAllowedIps } from '../core/allowed-ips';
import { InvalidAdminInputError } from '../core/errors';
import { TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from '../twake/twake-v1';
import { joinList, splitList } from '../stores/stored-lists';
import { NODE_CAPABILITIES, NODE_PRIVILEGES } from '../twake/twake-node';

/** What an application asks for, and from where it may call. @public */
export interface AccessInput {
  capabilities?: readonly string[];
  privileges?: readonly string[];
  /** Addresses or CIDR ranges; `*` or empty for any. */
  allowedIps?: readonly string[];
}

/** Declared access, normalised: the lists as stored. */
export interface CheckedAccess {
  capabilities?: string[];
  privileges?: string[];
  allowedIps?: string[];
}

function checkedNames(field: 'capabilities' | 'privileges', names: readonly string[] | undefined): string[] | undefined {
  if (names === undefined) return undefined;
  // Twake's v1 names, and the Node-era scope grants (read:messages, write:channels, …).
  const known: readonly string[] = field === 'capabilities' ? [...TWAKE_CAPABILITIES, ...NODE_CAPABILITIES] : [...TWAKE_PRIVILEGES, ...NODE_PRIVILEGES];
  const kept = [...new Set(names.map((name) => String(name).trim()).filter((name) => name !== ''))];
  const unknown = kept.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new InvalidAdminInputError(field, `Unknown ${field === 'capabilities' ? 'capability' : 'privilege'} ${JSON.stringify(unknown)} (known: ${known.join(', ')}).`);
  return kept;
}

/** Checks and normalises declared access; throws {@link InvalidAdminInputError} naming the first bad value. */
export function checkedAccess(input: AccessInput): CheckedAccess {
  let allowedIps: string[] | undefined;
  if (input.allowedIps !== undefined) {
    try {
      allowedIps = normaliseAllowedIps(input.allowedIps);
    } catch (error) {
      if (error instanceof InvalidAllowedIpError) throw new InvalidAdminInputError('allowedIps', `Invalid allowed IP ${JSON.stringify(error.entry)}: an address or CIDR range, or * for any.`);
      throw error;
    }
  }
  return { capabilities: checkedNames('capabilities', input.capabilities), privileges: checkedNames('privileges', input.privileges), allowedIps };
}

/**
 * What an installation grants: everything declared when `grant` is undefined, otherwise the names of
 * `grant`, each of which must be declared (a name both a capability and a privilege grants both, where
 * declared).
 */
export function grantedAccess(declared: { capabilities: readonly string[]; privileges: readonly string[] }, grant: readonly string[] | undefined): { capabilities: string[]; privileges: string[] } {
  if (grant === undefined) return { capabilities: [...declared.capabilities], privileges: [...declared.privileges] };
  const names = [...new Set(grant.map((name) => String(name).trim()).filter((name) => name !== ''))];
  const undeclared = names.find((name) => !declared.capabilities.includes(name) && !declared.privileges.includes(name));
  if (undeclared !== undefined) throw new InvalidAdminInputError('grant', `Cannot grant ${JSON.stringify(undeclared)}: the application does not declare it.`);
  return { capabilities: names.filter((name) => declared.capabilities.includes(name)), privileges: names.filter((name) => declared.privileges.includes(name)) };
}


/** What a stored installation grants, within what its application declares. */
export function grantsWithin(
  installation: { grantedCapabilities: string; grantedPrivileges: string },
  declared: { capabilities: readonly string[]; privileges: readonly string[] },
): { capabilities: string[]; privileges: string[] } {
  return {
    capabilities: splitList(installation.grantedCapabilities).filter((name) => declared.capabilities.includes(name)),
    privileges: splitList(installation.grantedPrivileges).filter((name) => declared.privileges.includes(name)),
  };
}

/** The installation rows operations {@link narrowStoredGrants} uses, typed structurally. */
export interface InstallationRows {
  installation: {
    findMany(args: {
      where: { applicationId: string };
      select: { companyId: true; grantedCapabilities: true; grantedPrivileges: true };
    }): PromiseLike<Array<{ companyId: string; grantedCapabilities: string; grantedPrivileges: string }>>;
    updateMany(args: { where: { applicationId: string; companyId: string }; data: { grantedCapabilities: string; grantedPrivileges: string } }): PromiseLike<{ count: number }>;
  };
}

/**
 * Narrows every stored installation of an application to what it declares, so that widening the
 * declaration later grants nothing back; with `write` false, only says which it would narrow. Resolves
 * the companies narrowed.
 */
export async function narrowStoredGrants(
  prisma: InstallationRows,
  applicationId: string,
  declared: { capabilities: readonly string[]; privileges: readonly string[] },
  write = true,
): Promise<string[]> {
  const narrowed: string[] = [];
  const rows = await prisma.installation.findMany({ where: { applicationId }, select: { companyId: true, grantedCapabilities: true, grantedPrivileges: true } });
  for (const row of rows) {
    const within = grantsWithin(row, declared);
    const data = { grantedCapabilities: joinList(within.capabilities), grantedPrivileges: joinList(within.privileges) };
    if (data.grantedCapabilities === joinList(splitList(row.grantedCapabilities)) && data.grantedPrivileges === joinList(splitList(row.grantedPrivileges))) continue;
    narrowed.push(row.companyId);
    if (write) await prisma.installation.updateMany({ where: { applicationId, companyId: row.companyId }, data });
  }
  return narrowed;
}
