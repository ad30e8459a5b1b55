// `twake-app-auth app …`: create, list, install, uninstall, rotate-key, enable, disable.
import type { Admin } from '../../admin';
import { table, type Result } from '../output';

/** `app create --name N`: prints the private key, once. */
export async function createCommand(admin: Admin, name: string): Promise<Result> {
  const created = await admin.createApplication({ name });
  return {
    json: { id: created.id, publicId: created.publicId, name: created.name, privateKey: created.privateKey },
    human: [
      'Application created.',
      ...table([
        ['name', created.name],
        ['public id', created.publicId],
        ['private key', created.privateKey],
      ]),
      '',
      'Store the private key now: it is shown only once.',
      `Next: twake-app-auth app install ${created.publicId} --company <company-id>`,
    ],
  };
}

/** `app list`: applications, installations and key metadata, never key material. */
export async function listCommand(admin: Admin): Promise<Result> {
  const applications = await admin.listApplications();
  const human = applications.length === 0 ? ['No applications yet. Next: twake-app-auth app create --name <name>'] : [];
  for (const application of applications) {
    const activeKeys = application.keys.filter((key) => key.revokedAt === null && (key.expiresAt === null || key.expiresAt > new Date()));
    const lastUsed = application.keys.reduce<Date | null>((latest, key) => (key.lastUsedAt !== null && (latest === null || key.lastUsedAt > latest) ? key.lastUsedAt : latest), null);
    human.push(
      `${application.name}`,
      ...table([
        ['public id', application.publicId],
        ['status', application.enabled ? 'enabled' : 'disabled'],
        ['companies', application.companies.length === 0 ? '(none)' : application.companies.join(', ')],
        ['keys', `${activeKeys.length} active of ${application.keys.length}`],
        ['last used', lastUsed === null ? 'never' : lastUsed.toISOString()],
      ]),
      '',
    );
  }
  return { json: { applications }, human };
}

/** `app install PUBLIC_ID --company C` (idempotent). */
export async function installCommand(admin: Admin, publicId: string, companyId: string): Promise<Result> {
  const { created } = await admin.install(publicId, companyId);
  return {
    json: { publicId, companyId },
    human: [created ? `Installed ${publicId} in company ${companyId}.` : `${publicId} was already installed in company ${companyId}; nothing to do.`],
  };
}

/** `app uninstall PUBLIC_ID --company C` (idempotent). */
export async function uninstallCommand(admin: Admin, publicId: string, companyId: string): Promise<Result> {
  const { removed } = await admin.uninstall(publicId, companyId);
  return {
    json: { publicId, companyId },
    human: [removed ? `Uninstalled ${publicId} from company ${companyId}.` : `${publicId} was not installed in company ${companyId}; nothing to do.`],
  };
}

/** `app rotate-key PUBLIC_ID [--grace SECONDS]`: prints the new key, once. */
export async function rotateKeyCommand(admin: Admin, publicId: string, graceSeconds: number): Promise<Result> {
  const rotated = await admin.rotateKey(publicId, { graceSeconds });
  const expiry = rotated.previousKeysExpireAt.toISOString();
  return {
    json: { publicId, privateKey: rotated.privateKey, previousKeysExpireAt: expiry },
    human: [
      'New key issued.',
      ...table([
        ['public id', publicId],
        ['private key', rotated.privateKey],
        ['previous keys expire', graceSeconds === 0 ? `now (${expiry})` : expiry],
      ]),
      '',
      'Store the private key now: it is shown only once.',
    ],
  };
}

/** `app enable|disable PUBLIC_ID`. */
export async function setEnabledCommand(admin: Admin, publicId: string, enabled: boolean): Promise<Result> {
  await admin.setEnabled(publicId, enabled);
  return {
    json: { publicId, enabled },
    human: [enabled ? `${publicId} is enabled: its keys work again.` : `${publicId} is disabled: all its keys are refused.`],
  };
}
