// Programmatic administration: applications, keys, installations (the CLI is built on it).
import { randomUUID } from 'node:crypto';
import { checkedAccess, grantedAccess, grantsWithin, narrowStoredGrants, type AccessInput } from './access';
import { joinList, splitList } from '../stores/stored-lists';
import { hasInvisibleCharacters } from '../core/control-characters';
import { ApplicationNotFoundError, InvalidAdminInputError } from '../core/errors';
import { isValidCompanyId, MAX_GROUP_ID_LENGTH } from '../core/group-id';
import { digestKeyHex, generatePrivateKey, generatePublicId } from '../core/secrets';

type Where = Record<string, unknown>;

/** The PrismaClient operations the admin API uses, typed structurally. @public */
export interface AdminPrismaClient {
  application: {
    create(args: {
      data: { id: string; publicId: string; name: string; capabilities?: string; privileges?: string; allowedIps?: string; keys: { create: { id: string; digest: string } } };
    }): PromiseLike<unknown>;
    findUnique(args: {
      where: { publicId: string };
      select: { id: true; capabilities: true; privileges: true; allowedIps: true };
    }): PromiseLike<{ id: string; capabilities: string; privileges: string; allowedIps: string } | null>;
    updateMany(args: { where: { publicId: string }; data: { enabled: boolean } | { capabilities?: string; privileges?: string; allowedIps?: string } }): PromiseLike<{ count: number }>;
    findMany(args: {
      orderBy: { createdAt: 'asc' };
      include: {
        keys: { orderBy: { createdAt: 'asc' }; select: { id: true; createdAt: true; expiresAt: true; revokedAt: true; lastUsedAt: true; needsRotation: true } };
        installations: { orderBy: { companyId: 'asc' }; select: { companyId: true; grantedCapabilities: true; grantedPrivileges: true } };
      };
    }): PromiseLike<
      Array<{
        id: string;
        publicId: string;
        name: string;
        enabled: boolean;
        capabilities: string;
        privileges: string;
        allowedIps: string;
        createdAt: Date;
        importState: string | null;
        keys: Array<{ id: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null; lastUsedAt: Date | null; needsRotation: boolean }>;
        installations: Array<{ companyId: string; grantedCapabilities: string; grantedPrivileges: string }>;
      }>
    >;
  };
  applicationKey: {
    create(args: { data: { id: string; applicationId: string; digest: string; expiresAt: Date | null } }): PromiseLike<unknown>;
    updateMany(args: { where: Where; data: { expiresAt: Date } | { revokedAt: Date } }): PromiseLike<{ count: number }>;
  };
  installation: {
    findMany(args: {
      where: { applicationId: string };
      select: { companyId: true; grantedCapabilities: true; grantedPrivileges: true };
    }): PromiseLike<Array<{ companyId: string; grantedCapabilities: string; grantedPrivileges: string }>>;
    findUnique(args: {
      where: { applicationId_companyId: { applicationId: string; companyId: string } };
      select: { grantedCapabilities: true; grantedPrivileges: true };
    }): PromiseLike<{ grantedCapabilities: string; grantedPrivileges: string } | null>;
    create(args: { data: { applicationId: string; companyId: string; grantedCapabilities: string; grantedPrivileges: string } }): PromiseLike<unknown>;
    updateMany(args: { where: { applicationId: string; companyId: string }; data: { grantedCapabilities: string; grantedPrivileges: string } }): PromiseLike<{ count: number }>;
    deleteMany(args: { where: { applicationId: string; companyId: string } }): PromiseLike<{ count: number }>;
  };
}

/** Returned once by `createApplication`: the private key is never shown again. @public */
export interface CreatedApplication {
  id: string;
  publicId: string;
  name: string;
  privateKey: string;
}

/** A new key, returned once. @public */
export interface IssuedKey {
  keyId: string;
  privateKey: string;
}

/** Result of a rotation: the new key and when the previous ones stop working. @public */
export interface RotatedKey extends IssuedKey {
  publicId: string;
  previousKeysExpireAt: Date;
}

/** An application with its installations and key metadata (never key material). @public */
export interface ApplicationSummary {
  id: string;
  publicId: string;
  name: string;
  enabled: boolean;
  createdAt: Date;
  /** Capabilities and privileges it asks for. */
  capabilities: string[];
  privileges: string[];
  /** Allowed client addresses (normalised CIDR ranges); empty for any. */
  allowedIps: string[];
  companies: string[];
  /** What each company granted. */
  installations: Array<{ companyId: string; capabilities: string[]; privileges: string[] }>;
  /** Created by `twake-app-auth import` (which leaves other applications alone on a re-run). */
  imported: boolean;
  /** `needsRotation`: an imported key shorter than Twake generated (`--allow-weak-keys`). */
  keys: Array<{ id: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null; lastUsedAt: Date | null; needsRotation: boolean }>;
}

/** Administration operations. Each one that changes access calls `onChange(publicId)` afterwards. @public */
export interface Admin {
  createApplication(input: { name: string } & AccessInput): Promise<CreatedApplication>;
  /** Changes what the application asks for and where it may call from (fields left out stay as they are). */
  setAccess(publicId: string, access: AccessInput): Promise<{ capabilities: string[]; privileges: string[]; allowedIps: string[] }>;
  listApplications(): Promise<ApplicationSummary[]>;
  addKey(publicId: string, options?: { expiresAt?: Date | null }): Promise<IssuedKey>;
  rotateKey(publicId: string, options?: { graceSeconds?: number }): Promise<RotatedKey>;
  revokeKey(publicId: string, keyId: string): Promise<{ revoked: boolean }>;
  /**
   * Installs the application in a company, granting `grant` (names it declares) or, without it, all it
   * declares now. Installing again changes the grants only when `grant` is given.
   */
  install(publicId: string, companyId: string, options?: { grant?: readonly string[] }): Promise<{ created: boolean; capabilities: string[]; privileges: string[] }>;
  uninstall(publicId: string, companyId: string): Promise<{ removed: boolean }>;
  setEnabled(publicId: string, enabled: boolean): Promise<void>;
}

const UNIQUE_VIOLATION = 'P2002';

/** Longest application name, in characters (code points) once trimmed. @public */
export const MAX_APPLICATION_NAME_LENGTH = 200;

const UNSEEN = 'without control, bidi or other invisible characters';

// Names and company ids end up in terminals, logs and dashboards: nothing there may move the cursor,
// reorder or hide text. Checked before anything is written; the message never echoes the value.
function checkedName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  const length = [...trimmed].length;
  // Checked before trimming: a CR or ESC at either end is refused, not silently dropped. Joiners are
  // allowed in names (scripts and emoji need them), not in company ids.
  const invisible = typeof name !== 'string' || hasInvisibleCharacters(name, { allowJoiners: true });
  if (invisible || length === 0 || length > MAX_APPLICATION_NAME_LENGTH) {
    throw new InvalidAdminInputError('name', `Invalid application name: 1 to ${MAX_APPLICATION_NAME_LENGTH} characters, ${UNSEEN}.`);
  }
  return trimmed;
}

function checkCompanyId(companyId: unknown): asserts companyId is string {
  // isValidCompanyId is the validator's own rule (length, controls); installations are held to it and more.
  if (!isValidCompanyId(companyId) || hasInvisibleCharacters(companyId)) {
    throw new InvalidAdminInputError('companyId', `Invalid company id: 1 to ${MAX_GROUP_ID_LENGTH} characters, ${UNSEEN}.`);
  }
}

/**
 * Creates the admin API over a PrismaClient.
 *
 * @param prisma - your PrismaClient.
 * @param options.onChange - called after every change of access (cache invalidation hooks in here).
 * @param options.now - clock, for tests. Defaults to `Date.now`.
 * @public
 */
export function createAdmin(
  prisma: AdminPrismaClient,
  options: { onChange?: (publicId: string) => void | Promise<void>; now?: () => number } = {},
): Admin {
  const now = options.now ?? Date.now;
  const changed = async (publicId: string): Promise<void> => {
    await options.onChange?.(publicId);
  };

  async function findApplication(publicId: string): Promise<{ id: string; capabilities: string; privileges: string; allowedIps: string }> {
    const found = await prisma.application.findUnique({ where: { publicId }, select: { id: true, capabilities: true, privileges: true, allowedIps: true } });
    if (found === null) throw new ApplicationNotFoundError(publicId);
    return found;
  }
  const applicationId = async (publicId: string): Promise<string> => (await findApplication(publicId)).id;

  async function issueKey(appId: string, expiresAt: Date | null): Promise<IssuedKey> {
    const privateKey = generatePrivateKey();
    const keyId = randomUUID();
    await prisma.applicationKey.create({ data: { id: keyId, applicationId: appId, digest: digestKeyHex(privateKey), expiresAt } });
    return { keyId, privateKey };
  }

  return {
    async createApplication({ name: requested, ...access }) {
      const name = checkedName(requested);
      const declared = checkedAccess(access);
      const id = randomUUID();
      const publicId = generatePublicId();
      const privateKey = generatePrivateKey();
      await prisma.application.create({
        data: {
          id,
          publicId,
          name,
          capabilities: joinList(declared.capabilities ?? []),
          privileges: joinList(declared.privileges ?? []),
          allowedIps: joinList(declared.allowedIps ?? []),
          keys: { create: { id: randomUUID(), digest: digestKeyHex(privateKey) } },
        },
      });
      return { id, publicId, name, privateKey };
    },

    async listApplications() {
      const applications = await prisma.application.findMany({
        orderBy: { createdAt: 'asc' },
        include: {
          keys: { orderBy: { createdAt: 'asc' }, select: { id: true, createdAt: true, expiresAt: true, revokedAt: true, lastUsedAt: true, needsRotation: true } },
          installations: { orderBy: { companyId: 'asc' }, select: { companyId: true, grantedCapabilities: true, grantedPrivileges: true } },
        },
      });
      return applications.map(({ installations, ...application }) => {
        const declared = { capabilities: splitList(application.capabilities), privileges: splitList(application.privileges) };
        return {
          id: application.id,
          publicId: application.publicId,
          name: application.name,
          enabled: application.enabled,
          createdAt: application.createdAt,
          ...declared,
          allowedIps: splitList(application.allowedIps),
          companies: installations.map((installation) => installation.companyId),
          // As the validator reads them: within what the application declares now.
          installations: installations.map((installation) => ({ companyId: installation.companyId, ...grantsWithin(installation, declared) })),
          imported: application.importState !== null,
          keys: application.keys,
        };
      });
    },

    async setAccess(publicId, access) {
      const declared = checkedAccess(access);
      const current = await findApplication(publicId);
      // Fields left out keep their stored value; the result is what is stored afterwards.
      const result = {
        capabilities: declared.capabilities ?? splitList(current.capabilities),
        privileges: declared.privileges ?? splitList(current.privileges),
        allowedIps: declared.allowedIps ?? splitList(current.allowedIps),
      };
      const data = { capabilities: joinList(result.capabilities), privileges: joinList(result.privileges), allowedIps: joinList(result.allowedIps) };
      const { count } = await prisma.application.updateMany({ where: { publicId }, data });
      if (count === 0) throw new ApplicationNotFoundError(publicId);
      // Narrowed in storage too, so that widening the declaration again grants nothing back (the validator
      // already reads grants within the declaration, whatever is stored).
      await narrowStoredGrants(prisma, current.id, result);
      await changed(publicId);
      return result;
    },

    async addKey(publicId, { expiresAt = null } = {}) {
      const issued = await issueKey(await applicationId(publicId), expiresAt);
      await changed(publicId);
      return issued;
    },

    async rotateKey(publicId, { graceSeconds = 0 } = {}) {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0) throw new TypeError('The grace period must be a whole number of seconds, 0 or more.');
      const appId = await applicationId(publicId);
      const previousKeysExpireAt = new Date(now() + graceSeconds * 1000);
      // The new key exists before the old ones are cut, so a failure never leaves the application keyless.
      const issued = await issueKey(appId, null);
      // Keys that would outlive the grace period are cut to it; keys expiring sooner keep their expiry.
      await prisma.applicationKey.updateMany({
        where: {
          applicationId: appId,
          id: { not: issued.keyId },
          revokedAt: null,
          OR: [{ expiresAt: null }, { expiresAt: { gt: previousKeysExpireAt } }],
        },
        data: { expiresAt: previousKeysExpireAt },
      });
      await changed(publicId);
      return { publicId, previousKeysExpireAt, ...issued };
    },

    async revokeKey(publicId, keyId) {
      const appId = await applicationId(publicId);
      const { count } = await prisma.applicationKey.updateMany({
        where: { id: keyId, applicationId: appId, revokedAt: null },
        data: { revokedAt: new Date(now()) },
      });
      await changed(publicId);
      return { revoked: count > 0 };
    },

    async install(publicId, companyId, { grant } = {}) {
      checkCompanyId(companyId);
      const application = await findApplication(publicId);
      const granted = grantedAccess({ capabilities: splitList(application.capabilities), privileges: splitList(application.privileges) }, grant);
      const data = { grantedCapabilities: joinList(granted.capabilities), grantedPrivileges: joinList(granted.privileges) };
      const where = { applicationId_companyId: { applicationId: application.id, companyId } };
      const select = { grantedCapabilities: true, grantedPrivileges: true } as const;
      // The declaration was read before writing: an `app set` narrowing it meanwhile may have narrowed the
      // stored grants before this write. Read it again after writing and narrow this row (each side writes,
      // then reads the other's data, so one of them always sees both).
      const withinCurrentDeclaration = async () => {
        const current = await findApplication(publicId);
        const within = grantsWithin(data, { capabilities: splitList(current.capabilities), privileges: splitList(current.privileges) });
        const narrowed = { grantedCapabilities: joinList(within.capabilities), grantedPrivileges: joinList(within.privileges) };
        if (narrowed.grantedCapabilities !== data.grantedCapabilities || narrowed.grantedPrivileges !== data.grantedPrivileges) {
          await prisma.installation.updateMany({ where: { applicationId: application.id, companyId }, data: narrowed });
        }
        return within;
      };
      // Already installed (`stored`, or found installed meanwhile): the grants change only when asked for.
      const regrant = async (stored: { grantedCapabilities: string; grantedPrivileges: string } | null) => {
        if (grant === undefined) {
          const row = stored ?? (await prisma.installation.findUnique({ where, select }));
          return { created: false, capabilities: splitList(row?.grantedCapabilities), privileges: splitList(row?.grantedPrivileges) };
        }
        await prisma.installation.updateMany({ where: { applicationId: application.id, companyId }, data });
        const within = await withinCurrentDeclaration();
        await changed(publicId);
        return { created: false, ...within };
      };
      const existing = await prisma.installation.findUnique({ where, select });
      if (existing !== null) return regrant(existing);
      try {
        await prisma.installation.create({ data: { applicationId: application.id, companyId, ...data } });
      } catch (error) {
        // Installed meanwhile by someone else: the result is the same.
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return regrant(null);
        throw error;
      }
      const within = await withinCurrentDeclaration();
      await changed(publicId);
      return { created: true, ...within };
    },

    async uninstall(publicId, companyId) {
      const appId = await applicationId(publicId);
      const { count } = await prisma.installation.deleteMany({ where: { applicationId: appId, companyId } });
      await changed(publicId);
      return { removed: count > 0 };
    },

    async setEnabled(publicId, enabled) {
      const { count } = await prisma.application.updateMany({ where: { publicId }, data: { enabled } });
      if (count === 0) throw new ApplicationNotFoundError(publicId);
      await changed(publicId);
    },
  };
}
