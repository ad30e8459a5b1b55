// `twake-app-auth app …`: create, set, list, install, uninstall, rotate-key, enable, disable.
import type { AccessInput } from 'twake-app-auth/internal';
import type { Admin } from 'twake-app-auth';
import { table, type Result } from '../output';

const listed = (names: readonly string[], none: string) => (names.length === 0 ? none : names.join(', '));

/** `app create --name N [--capabilities a,b] [--privileges x,y] [--allowed-ips LIST]`: prints the private key, once. */
export async function createCommand(admin: Admin, name: string, access: AccessInput, command = 'twake-app-auth'): Promise<Result> {
  const created = await admin.createApplication({ name, ...access });
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
      `Next: ${command} app install ${created.publicId} --company <company-id>`,
    ],
  };
}

/** `app list`: applications, installations and key metadata, never key material. */
export async function listCommand(admin: Admin, command = 'twake-app-auth'): Promise<Result> {
  const applications = await admin.listApplications();
  const human = applications.length === 0 ? [`No applications yet. Next: ${command} app create --name <name>`] : [];
  for (const application of applications) {
    const activeKeys = application.keys.filter((key) => key.revokedAt === null && (key.expiresAt === null || key.expiresAt > new Date()));
    const lastUsed = application.keys.reduce<Date | null>((latest, key) => (key.lastUsedAt !== null && (latest === null || key.lastUsedAt > latest) ? key.lastUsedAt : latest), null);
    human.push(
      `${application.name}`,
      ...table([
        ['public id', application.publicId],
        ['status', application.enabled ? 'enabled' : 'disabled'],
        ['companies', application.companies.length === 0 ? '(none)' : application.companies.join(', ')],
        ['asks for', `capabilities: ${listed(application.capabilities, '(none)')}; privileges: ${listed(application.privileges, '(none)')}`],
        ['allowed IPs', listed(application.allowedIps, 'any')],
        ...application.installations.map((installation): [string, string] => [
          `granted by ${installation.companyId}`,
          `capabilities: ${listed(installation.capabilities, '(none)')}; privileges: ${listed(installation.privileges, '(none)')}`,
        ]),
        ['keys', `${activeKeys.length} active of ${application.keys.length}${activeKeys.some((key) => key.needsRotation) ? ' (ROTATE: a weak imported key, shorter than Twake generated)' : ''}`],
        ['last used', lastUsed === null ? 'never' : lastUsed.toISOString()],
      ]),
      '',
    );
  }
  return { json: { applications }, human };
}

/** `app set PUBLIC_ID [--capabilities a,b] [--privileges x,y] [--allowed-ips LIST]`. */
export async function setCommand(admin: Admin, publicId: string, access: AccessInput): Promise<Result> {
  const declared = await admin.setAccess(publicId, access);
  return {
    json: { publicId, ...declared },
    human: [
      `Updated ${publicId}.`,
      ...table([
        ['capabilities', listed(declared.capabilities, '(none)')],
        ['privileges', listed(declared.privileges, '(none)')],
        ['allowed IPs', listed(declared.allowedIps, 'any')],
      ]),
      'Installations keep what they were granted: grant more with app install PUBLIC_ID --company C --grant …',
    ],
  };
}

/** `app install PUBLIC_ID --company C [--grant a,b,x]` (idempotent; --grant changes the grants of an existing installation). */
export async function installCommand(admin: Admin, publicId: string, companyId: string, grant: readonly string[] | undefined): Promise<Result> {
  const { created, capabilities, privileges } = await admin.install(publicId, companyId, { grant });
  const outcome = created ? `Installed ${publicId} in company ${companyId}.` : grant === undefined ? `${publicId} was already installed in company ${companyId}; nothing to do.` : `Grants of ${publicId} in company ${companyId} updated.`;
  return {
    json: { publicId, companyId, capabilities, privileges },
    human: [outcome, ...table([['granted', `capabilities: ${listed(capabilities, '(none)')}; privileges: ${listed(privileges, '(none)')}`]])],
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
