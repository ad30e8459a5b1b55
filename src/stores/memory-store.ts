// An in-memory ApplicationStore for tests, demos and custom integrations.
import { normaliseAllowedIps } from '../core/allowed-ips';
import { digestKey } from '../core/secrets';
import type { ApplicationRecord, ApplicationStore, Grants, StoredKey } from '../core/types';

interface MemoryApplication {
  id: string;
  publicId: string;
  name: string;
  enabled: boolean;
  keys: StoredKey[];
  companies: Map<string, Grants>;
  allowedIps: readonly string[];
}

/**
 * Keeps applications in a Map. Not shared between processes; use the Prisma store in production.
 *
 * @public
 */
export class MemoryStore implements ApplicationStore {
  private readonly applications = new Map<string, MemoryApplication>();

  /**
   * Adds (or replaces) an application with its keys (given in clear, stored as digests), the companies
   * it is installed in, what each granted (`grants[company]`, nothing by default) and its allowed IPs
   * (addresses or CIDR ranges; any by default).
   */
  add(application: {
    id?: string;
    publicId: string;
    name?: string;
    enabled?: boolean;
    keys: ReadonlyArray<{ id?: string; privateKey: string; expiresAt?: Date | null }>;
    companies?: readonly string[];
    grants?: Readonly<Record<string, Partial<Grants>>>;
    allowedIps?: readonly string[];
  }): void {
    this.applications.set(application.publicId, {
      id: application.id ?? application.publicId,
      publicId: application.publicId,
      name: application.name ?? application.publicId,
      enabled: application.enabled ?? true,
      keys: application.keys.map((key, index) => ({
        id: key.id ?? `${application.publicId}-key-${index}`,
        digest: digestKey(key.privateKey),
        expiresAt: key.expiresAt ?? null,
      })),
      companies: new Map(
        (application.companies ?? []).map((company) => {
          const granted = application.grants?.[company];
          return [company, Object.freeze({ capabilities: Object.freeze([...(granted?.capabilities ?? [])]), privileges: Object.freeze([...(granted?.privileges ?? [])]) })];
        }),
      ),
      allowedIps: Object.freeze(normaliseAllowedIps(application.allowedIps ?? [])),
    });
  }

  /** Removes an application. */
  delete(publicId: string): void {
    this.applications.delete(publicId);
  }

  async findApplication(publicId: string, companyId: string | null): Promise<ApplicationRecord | null> {
    const found = this.applications.get(publicId);
    if (found === undefined) return null;
    return {
      id: found.id,
      publicId: found.publicId,
      name: found.name,
      enabled: found.enabled,
      keys: [...found.keys],
      installed: companyId !== null && found.companies.has(companyId),
      granted: companyId === null ? undefined : found.companies.get(companyId),
      allowedIps: found.allowedIps,
    };
  }
}
