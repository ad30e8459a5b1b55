// Helpers for a backend's own supertest suites: one call for an application, its key and its installation.
import { createAdmin, type AdminPrismaClient } from './admin';
import { generatePrivateKey, generatePublicId } from './secrets';
import { MemoryStore } from './stores/memory-store';

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
}

/** Options of {@link createTestApplication}. @public */
export interface TestApplicationOptions {
  /** Defaults to `Test application`. */
  name?: string;
  /** Companies to install it in. Defaults to `['test-company']`; `[]` for an application installed nowhere. */
  companies?: readonly string[];
}

/**
 * Creates an application with a key, installed in `options.companies`, in a {@link MemoryStore} or
 * through your PrismaClient (the same writes as `twake-app-auth app create` and `app install`).
 *
 * @public
 */
export async function createTestApplication(target: MemoryStore | AdminPrismaClient, options: TestApplicationOptions = {}): Promise<TestApplication> {
  const name = options.name ?? 'Test application';
  const companies = [...(options.companies ?? ['test-company'])];
  let created: { id: string; publicId: string; privateKey: string };
  if (target instanceof MemoryStore) {
    created = { id: generatePublicId(), publicId: generatePublicId(), privateKey: generatePrivateKey() };
    target.add({ id: created.id, publicId: created.publicId, name, keys: [{ privateKey: created.privateKey }], companies });
  } else {
    const admin = createAdmin(target);
    created = await admin.createApplication({ name });
    for (const companyId of companies) await admin.install(created.publicId, companyId);
  }
  return {
    applicationId: created.id,
    publicId: created.publicId,
    name,
    privateKey: created.privateKey,
    companyId: companies[0] ?? '',
    companies,
    authorization: basicAuthorization(created.publicId, created.privateKey),
  };
}
