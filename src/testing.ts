// Helpers for a backend's own supertest suites: one call for an application, its key and its installation.
import { checkedAccess, grantedAccess } from './admin/access';
import { createAdmin, type AdminPrismaClient } from './admin/admin';
import { generatePrivateKey, generatePublicId } from './core/secrets';
import { MemoryStore } from './stores/memory-store';
import type { Grants } from './core/types';

/** The `Authorization` header value for `publicId:privateKey` (Basic, UTF-8). @public */
export function basicAuthorization(publicId: string, privateKey: string): string {
  return `Basic ${Buffer.from(`${publicId}:${privateKey}`, 'utf8').toString('base64')}`;
}

/** What {@link createTestApplication} made: everything a test request needs. @public */
export interface TestApplication {
  readonly applicationId: string;
  readonly publicId: string;
  readonly name: string;
  /** The private key, in clear: only the store's digest of it is kept. */
  readonly privateKey: string;
  /** The company it is installed in (the first of `companies`). */
  readonly companyId: string;
  /** Every company it is installed in. */
  readonly companies: readonly string[];
  /** `Basic …` for `.set('Authorization', app.authorization)`. */
  readonly authorization: string;
  /** What each of `companies` granted (within what the application declares), as `req.twake` will carry it. */
  readonly grants: Readonly<Record<string, Grants>>;
}

/** Options of {@link createTestApplication}. @public */
export interface TestApplicationOptions {
  /** Defaults to `Test application`. */
  name?: string;
  /** Companies to install it in. Defaults to `['test-company']`; `[]` for an application installed nowhere. */
  companies?: readonly string[];
  /** Capabilities (write rights) the application declares: Twake's v1 names, see `TWAKE_CAPABILITIES`. Defaults to none. */
  capabilities?: readonly string[];
  /** Privileges (read rights) the application declares: Twake's v1 names, see `TWAKE_PRIVILEGES`. Defaults to none. */
  privileges?: readonly string[];
  /** Addresses or CIDR ranges it may call from (supertest calls from the loopback). Defaults to any. */
  allowedIps?: readonly string[];
  /**
   * What each company grants, by company id: names the application declares, capabilities and privileges
   * alike, as `twake-app-auth app install --grant` takes them (`[]` grants nothing). A company left out
   * grants everything declared. Every key must be one of `companies`.
   */
  grants?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Creates an application with a key, declaring `capabilities`, `privileges` and `allowedIps`, installed in
 * `options.companies` with `options.grants`, in a {@link MemoryStore} or through your PrismaClient (the
 * same writes as `twake-app-auth app create` and `app install`). Names and addresses are checked as the CLI
 * checks them: an unknown or undeclared name, or an invalid address, throws `InvalidAdminInputError`.
 *
 * @public
 */
export async function createTestApplication(target: MemoryStore | AdminPrismaClient, options: TestApplicationOptions = {}): Promise<TestApplication> {
  const name = options.name ?? 'Test application';
  const companies = [...(options.companies ?? ['test-company'])];
  const requested = options.grants ?? {};
  const stray = Object.keys(requested).find((company) => !companies.includes(company));
  if (stray !== undefined) {
    throw new TypeError(`twake-app-auth/testing: grants name the company ${JSON.stringify(stray)}, which is not one of companies (${JSON.stringify(companies)}).`);
  }
  const grantOf = (companyId: string): readonly string[] | undefined => (Object.hasOwn(requested, companyId) ? requested[companyId] : undefined);
  const access = { capabilities: options.capabilities, privileges: options.privileges, allowedIps: options.allowedIps };
  const grants: Record<string, Grants> = {};
  let created: { id: string; publicId: string; privateKey: string };
  if (target instanceof MemoryStore) {
    // The checks of `createAdmin`, so that a test fails here as the CLI would, not in the middleware.
    const declared = checkedAccess(access);
    const lists = { capabilities: declared.capabilities ?? [], privileges: declared.privileges ?? [] };
    for (const companyId of companies) Object.defineProperty(grants, companyId, { value: grantedAccess(lists, grantOf(companyId)), enumerable: true });
    created = { id: generatePublicId(), publicId: generatePublicId(), privateKey: generatePrivateKey() };
    target.add({ id: created.id, publicId: created.publicId, name, keys: [{ privateKey: created.privateKey }], companies, grants, allowedIps: declared.allowedIps });
  } else {
    const admin = createAdmin(target);
    created = await admin.createApplication({ name, ...access });
    for (const companyId of companies) {
      const { capabilities, privileges } = await admin.install(created.publicId, companyId, { grant: grantOf(companyId) });
      Object.defineProperty(grants, companyId, { value: { capabilities, privileges }, enumerable: true });
    }
  }
  return {
    applicationId: created.id,
    publicId: created.publicId,
    name,
    privateKey: created.privateKey,
    companyId: companies[0] ?? '',
    companies,
    authorization: basicAuthorization(created.publicId, created.privateKey),
    grants,
  };
}
