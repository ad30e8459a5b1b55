// Seeds a database through the admin API with the applications the integration suites need.
import { createAdmin, type AdminPrismaClient } from '../../src/admin/admin';

/** What the suites call with. */
export interface Seed {
  publicId: string;
  privateKey: string;
  expiredKey: string;
  revokedKey: string;
  disabled: { publicId: string; privateKey: string };
  company: string;
  otherCompany: string;
}

export async function seed(prisma: AdminPrismaClient): Promise<Seed> {
  const admin = createAdmin(prisma);
  const app = await admin.createApplication({ name: 'Calendar bot' });
  await admin.install(app.publicId, 'company-1');
  await admin.install(app.publicId, 'company-3');
  const expired = await admin.addKey(app.publicId, { expiresAt: new Date(Date.now() - 1000) });
  const revoked = await admin.addKey(app.publicId);
  await admin.revokeKey(app.publicId, revoked.keyId);

  const off = await admin.createApplication({ name: 'Disabled bot' });
  await admin.install(off.publicId, 'company-1');
  await admin.setEnabled(off.publicId, false);

  return {
    publicId: app.publicId,
    privateKey: app.privateKey,
    expiredKey: expired.privateKey,
    revokedKey: revoked.privateKey,
    disabled: { publicId: off.publicId, privateKey: off.privateKey },
    company: 'company-1',
    otherCompany: 'company-2',
  };
}
