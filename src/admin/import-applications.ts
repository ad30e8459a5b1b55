// Writes a read Twake export into our tables, in one transaction, idempotently: creates, updates, or leaves alone.
import { randomUUID } from 'node:crypto';
import { narrowStoredGrants } from './access';
import { joinList, splitList } from '../stores/stored-lists';
import { digestKeyHex } from '../core/secrets';
import type { ImportedApplication, TwakeExport } from './twake-import';

/** The PrismaClient operations an import uses, typed structurally. */
export interface ImportPrismaClient {
  application: {
    findUnique(args: {
      where: { publicId: string };
      select: { id: true; name: true; capabilities: true; privileges: true; allowedIps: true; keys: { where: { revokedAt: null }; select: { digest: true } } };
    }): PromiseLike<{ id: string; name: string; capabilities: string; privileges: string; allowedIps: string; keys: Array<{ digest: string }> } | null>;
    create(args: { data: { id: string; publicId: string; name: string; capabilities: string; privileges: string; allowedIps: string; keys: { create: { id: string; digest: string } } } }): PromiseLike<unknown>;
    update(args: { where: { id: string }; data: { name: string; capabilities: string; privileges: string; allowedIps: string } }): PromiseLike<unknown>;
  };
  applicationKey: {
    create(args: { data: { id: string; applicationId: string; digest: string; expiresAt: Date | null } }): PromiseLike<unknown>;
  };
  installation: {
    findMany(args: { where: { applicationId: string }; select: { companyId: true; grantedCapabilities: true; grantedPrivileges: true } }): PromiseLike<Array<{ companyId: string; grantedCapabilities: string; grantedPrivileges: string }>>;
    create(args: { data: { applicationId: string; companyId: string; grantedCapabilities: string; grantedPrivileges: string } }): PromiseLike<unknown>;
    updateMany(args: { where: { applicationId: string; companyId: string }; data: { grantedCapabilities: string; grantedPrivileges: string } }): PromiseLike<{ count: number }>;
  };
}

/** A client that can run the import in one interactive transaction. */
export interface TransactionalImportClient extends ImportPrismaClient {
  $transaction<R>(run: (tx: ImportPrismaClient) => Promise<R>): Promise<R>;
}

/** What the import did (or, with `dryRun`, would do) to one application. */
export interface ImportSummary {
  publicId: string;
  name: string;
  application: 'created' | 'updated' | 'unchanged';
  keyAdded: boolean;
  installationsCreated: string[];
  installationsUpdated: string[];
}

async function importOne(prisma: ImportPrismaClient, application: ImportedApplication, installations: TwakeExport['installations'], write: boolean): Promise<ImportSummary> {
  const digest = digestKeyHex(application.privateKey);
  const fields = { name: application.name, capabilities: joinList(application.capabilities), privileges: joinList(application.privileges), allowedIps: joinList(application.allowedIps) };
  const summary: ImportSummary = { publicId: application.publicId, name: application.name, application: 'unchanged', keyAdded: false, installationsCreated: [], installationsUpdated: [] };
  const existing = await prisma.application.findUnique({
    where: { publicId: application.publicId },
    select: { id: true, name: true, capabilities: true, privileges: true, allowedIps: true, keys: { where: { revokedAt: null }, select: { digest: true } } },
  });
  let applicationId: string;
  if (existing === null) {
    applicationId = randomUUID();
    summary.application = 'created';
    summary.keyAdded = true;
    if (write) await prisma.application.create({ data: { id: applicationId, publicId: application.publicId, ...fields, keys: { create: { id: randomUUID(), digest } } } });
  } else {
    applicationId = existing.id;
    const same = existing.name === fields.name && existing.capabilities === fields.capabilities && existing.privileges === fields.privileges && existing.allowedIps === fields.allowedIps;
    if (!same) {
      summary.application = 'updated';
      if (write) await prisma.application.update({ where: { id: applicationId }, data: fields });
    }
    if (!existing.keys.some((key) => key.digest === digest)) {
      summary.keyAdded = true;
      if (write) await prisma.applicationKey.create({ data: { id: randomUUID(), applicationId, digest, expiresAt: null } });
    }
  }
  const current = existing === null ? [] : await prisma.installation.findMany({ where: { applicationId }, select: { companyId: true, grantedCapabilities: true, grantedPrivileges: true } });
  for (const installation of installations.filter((candidate) => candidate.publicId === application.publicId)) {
    // Twake's own grant when the file has one, else everything the application declares.
    const granted = installation.grant ?? application;
    const data = { grantedCapabilities: joinList(granted.capabilities), grantedPrivileges: joinList(granted.privileges) };
    const found = current.find((row) => row.companyId === installation.companyId);
    if (found === undefined) {
      summary.installationsCreated.push(installation.companyId);
      if (write) await prisma.installation.create({ data: { applicationId, companyId: installation.companyId, ...data } });
    } else if (joinList(splitList(found.grantedCapabilities)) !== data.grantedCapabilities || joinList(splitList(found.grantedPrivileges)) !== data.grantedPrivileges) {
      summary.installationsUpdated.push(installation.companyId);
      if (write) await prisma.installation.updateMany({ where: { applicationId, companyId: installation.companyId }, data });
    }
  }
  // Installations the file does not name keep their grants, within the declaration just imported.
  if (existing !== null) {
    const named = new Set(installations.filter((candidate) => candidate.publicId === application.publicId).map((candidate) => candidate.companyId));
    for (const companyId of await narrowStoredGrants(prisma, applicationId, application, write)) {
      if (!named.has(companyId) && !summary.installationsUpdated.includes(companyId)) summary.installationsUpdated.push(companyId);
    }
  }
  return summary;
}

/**
 * Imports every application and installation of `document`, all in one transaction (all or nothing).
 * Running it again changes nothing; with `dryRun` nothing is written and the summaries say what would be.
 */
export async function importApplications(prisma: TransactionalImportClient, document: TwakeExport, { dryRun = false } = {}): Promise<ImportSummary[]> {
  const run = async (client: ImportPrismaClient) => {
    const summaries: ImportSummary[] = [];
    for (const application of document.applications) summaries.push(await importOne(client, application, document.installations, !dryRun));
    return summaries;
  };
  return dryRun ? run(prisma) : prisma.$transaction(run);
}
